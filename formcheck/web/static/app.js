// formcheck web app: plain JavaScript, no build step, no external resources.
"use strict";

(function () {
  const SVGNS = "http://www.w3.org/2000/svg";
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function svg(tag, attrs) {
    const node = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    return node;
  }
  function fmt(v, unit) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    return unit === "torso" || unit === "x" ? v.toFixed(2) : v.toFixed(1);
  }

  // ---- jobs: one row per clip with a progress bar that follows the server's job ----
  function jobRow(name) {
    const li = el("li", { class: "job" });
    li.append(el("span", { class: "job-name" }, name));
    const bar = el("progress", { max: "100", value: "0", "aria-label": "Progress of " + name });
    li.append(bar);
    li.append(el("span", { class: "job-state" }, "waiting"));
    return li;
  }

  function showJob(li, job) {
    const bar = li.querySelector("progress");
    const state = li.querySelector(".job-state");
    li.dataset.job = job.id;
    li.dataset.state = job.state;
    bar.value = job.percent;
    bar.textContent = job.percent + " %";
    state.className = "job-state " + job.state;
    state.textContent = "";
    if (job.state === "done") {
      state.append("done (100 %) · ");
      state.append(el("a", { href: "/sessions/" + job.session_id, class: "open-session" }, "open the session"));
    } else if (job.state === "failed") {
      state.textContent = "failed: " + job.message;
      bar.hidden = true;
    } else {
      state.textContent = job.stage + " (" + job.percent + " %)";
    }
  }

  function pollJob(li, id) {
    const tick = async () => {
      try {
        const r = await fetch("/api/jobs/" + encodeURIComponent(id), { headers: { Accept: "application/json" } });
        if (!r.ok) throw new Error("HTTP " + r.status);
        const job = (await r.json()).job;
        showJob(li, job);
        if (job.state === "done" || job.state === "failed") return;
      } catch (err) {
        li.querySelector(".job-state").textContent = "lost contact with the server; retrying…";
      }
      setTimeout(tick, 600);
    };
    tick();
  }

  function initHomeJobs() {
    const list = document.querySelector("[data-poll-jobs]");
    if (!list) return;
    list.querySelectorAll("li[data-job]").forEach((li) => {
      if (!li.querySelector(".job-state.failed")) pollJob(li, li.dataset.job);
    });
  }

  // ---- upload page ----
  function initUpload() {
    const form = document.getElementById("upload-form");
    if (!form) return;
    const drop = document.getElementById("drop");
    const input = document.getElementById("files");
    const queue = document.getElementById("queue");
    const empty = document.getElementById("queue-empty");
    const error = document.getElementById("form-error");
    const limit = Number(drop.dataset.limit) * 1024 * 1024;

    function fail(msg, focus) {
      error.textContent = msg;
      error.hidden = false;
      if (focus) focus.focus();
    }

    function upload(file) {
      const li = jobRow(file.name);
      queue.prepend(li);
      empty.hidden = true;
      const state = li.querySelector(".job-state");
      if (file.size > limit) {
        state.className = "job-state failed";
        state.textContent = "failed: larger than the server's limit of " + drop.dataset.limit + " MB";
        li.querySelector("progress").hidden = true;
        return;
      }
      const fd = new FormData();
      fd.append("athlete", form.athlete.value.trim());
      fd.append("date", form.date.value);
      // used only when the clip carries no recording date of its own
      if (file.lastModified) fd.append("file_date", new Date(file.lastModified).toISOString().slice(0, 10));
      fd.append("notes", form.notes.value);
      fd.append("height_cm", form.height_cm.value);
      fd.append("condition", form.condition.value);
      fd.append("speed_kmh", form.speed_kmh.value);
      fd.append("shoes", form.shoes.value);
      fd.append("clip", file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/uploads");
      xhr.setRequestHeader("X-CSRF-Token", csrf());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) state.textContent = "uploading (" + Math.round((100 * e.loaded) / e.total) + " %)";
      };
      xhr.onload = () => {
        let body = {};
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
        if (xhr.status === 201) {
          showJob(li, body.job);
          pollJob(li, body.job.id);
        } else {
          state.className = "job-state failed";
          state.textContent = "failed: " + (body.error || "the server answered " + xhr.status);
          li.querySelector("progress").hidden = true;
        }
      };
      xhr.onerror = () => {
        state.className = "job-state failed";
        state.textContent = "failed: the upload did not reach the server";
        li.querySelector("progress").hidden = true;
      };
      xhr.send(fd);
    }

    function handle(files) {
      error.hidden = true;
      if (!files || !files.length) return;
      if (!form.athlete.value.trim()) {
        fail("Enter the athlete's name first, then add the clips.", form.athlete);
        return;
      }
      if (form.height_cm.value && !form.height_cm.checkValidity()) {
        fail("The height must be between 80 and 250 cm.", form.height_cm);
        return;
      }
      if (form.speed_kmh.value && !form.speed_kmh.checkValidity()) {
        fail("The speed must be between 1 and 59 km/h.", form.speed_kmh);
        return;
      }
      Array.from(files).forEach(upload);
      input.value = "";
    }

    input.addEventListener("change", () => handle(input.files));
    ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => {
      e.preventDefault();
      drop.classList.add("over");
    }));
    ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, () => drop.classList.remove("over")));
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      handle(e.dataTransfer.files);
    });
    form.addEventListener("submit", (e) => e.preventDefault());

    // The page survives a reload: the server's recent jobs come back with their bars.
    fetch("/api/jobs", { headers: { Accept: "application/json" } })
      .then((r) => r.json())
      .then((body) => {
        body.jobs.slice().reverse().forEach((job) => {
          const li = jobRow(job.clip_name);
          queue.prepend(li);
          showJob(li, job);
          if (job.state === "queued" || job.state === "running") pollJob(li, job.id);
        });
        empty.hidden = queue.children.length > 0;
      })
      .catch(() => {});
  }

  // ---- session page: video + metric timeline ----
  function bandsFor(norm, lo, hi) {
    // Value ranges of the mild / moderate / severe fault bands, clipped to [lo, hi].
    if (!norm) return [];
    const out = [];
    if (norm.direction === "below") {
      out.push(["severe", -Infinity, norm.severe], ["moderate", norm.severe, norm.moderate], ["mild", norm.moderate, norm.mild]);
    } else {
      out.push(["mild", norm.mild, norm.moderate], ["moderate", norm.moderate, norm.severe], ["severe", norm.severe, Infinity]);
    }
    return out
      .map(([n, a, b]) => [n, Math.max(a, lo), Math.min(b, hi)])
      .filter(([, a, b]) => b > a);
  }

  function initSession() {
    const box = document.getElementById("timeline");
    if (!box) return;
    const video = document.getElementById("video");
    const select = document.getElementById("metric");
    const readout = document.getElementById("readout");
    let data = null;
    let cursor = null;
    let geom = null;

    function draw() {
      if (!data) return;
      const name = select.value;
      const m = data.metrics[name];
      const W = Math.max(200, box.clientWidth), H = box.clientHeight || 170;
      const pad = { l: 44, r: 18, t: 8, b: 22 };
      const T = data.duration_s || data.time[data.time.length - 1] || 1;
      box.textContent = "";
      const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, "aria-hidden": "true" });
      box.append(root);
      const vals = m ? m.values.filter((v) => v !== null) : [];
      let lo = Math.min(...vals), hi = Math.max(...vals);
      if (!vals.length) { lo = 0; hi = 1; }
      if (m && m.norm) { // keep the nearest threshold in view
        lo = Math.min(lo, m.norm.mild); hi = Math.max(hi, m.norm.mild);
      }
      const span = hi - lo || 1;
      lo -= 0.08 * span; hi += 0.08 * span;
      const x = (t) => pad.l + ((W - pad.l - pad.r) * t) / T;
      const y = (v) => pad.t + ((H - pad.t - pad.b) * (hi - v)) / (hi - lo);
      geom = { x, T, pad, W };
      for (const [band, a, b] of bandsFor(m && m.norm, lo, hi)) {
        root.append(svg("rect", { x: pad.l, width: W - pad.l - pad.r, y: y(b), height: y(a) - y(b),
          fill: `var(--band-${band})`, class: "band band-" + band }));
      }
      for (const s of data.steps) {
        if (s.t === null) continue;
        root.append(svg("line", { x1: x(s.t), x2: x(s.t), y1: pad.t, y2: H - pad.b, stroke: "#c3ccd6", "stroke-width": 1, class: "step-mark" }));
      }
      for (const v of [lo + 0.08 * span / 1.16, hi - 0.08 * span / 1.16]) {
        const label = svg("text", { x: pad.l - 4, y: y(v) + 4, "text-anchor": "end" });
        label.textContent = fmt(v, m && m.unit);
        root.append(label);
      }
      for (let t = 0; t <= T; t += T > 20 ? 5 : 1) {
        const label = svg("text", { x: x(t), y: H - 6, "text-anchor": "middle" });
        label.textContent = t + " s";
        root.append(label);
      }
      if (m) {
        let d = "";
        let pen = false;
        m.values.forEach((v, i) => {
          const t = data.time[i];
          if (v === null || t === null) { pen = false; return; }
          d += (pen ? "L" : "M") + x(t).toFixed(1) + " " + y(v).toFixed(1);
          pen = true;
        });
        root.append(svg("path", { d, fill: "none", stroke: "#0b5cad", "stroke-width": 1.5, class: "series" }));
      }
      cursor = svg("line", { y1: 2, y2: H - pad.b, stroke: "#c0262d", "stroke-width": 2, id: "cursor" });
      root.append(cursor);
      moveCursor();
    }

    function valueAt(t) {
      const m = data && data.metrics[select.value];
      if (!m || !data.time.length) return null;
      const fps = data.fps || 30;
      const i = Math.min(data.time.length - 1, Math.max(0, Math.round(t * fps)));
      return m.values[i];
    }

    function moveCursor() {
      if (!cursor || !geom) return;
      const t = video ? video.currentTime : 0;
      const px = geom.x(Math.min(t, geom.T));
      cursor.setAttribute("x1", px);
      cursor.setAttribute("x2", px);
      cursor.dataset.t = t.toFixed(3);
      box.setAttribute("aria-valuenow", t.toFixed(2));
      const m = data.metrics[select.value];
      readout.textContent = t.toFixed(2) + " s · " + (m ? fmt(valueAt(t), m.unit) + " " + m.unit : "");
    }

    function seek(t, pause) {
      if (!video) return;
      const fps = Number(video.dataset.fps) || data.fps || 30;
      // Land inside the frame (half a frame past its start), not on its boundary.
      const target = Math.max(0, Math.min(t + 0.5 / fps, (data.duration_s || video.duration || t) - 0.5 / fps));
      if (pause) video.pause();
      video.currentTime = target;
      moveCursor();
    }

    function loop() {
      moveCursor();
      if (video && !video.paused && !video.ended) requestAnimationFrame(loop);
    }

    box.addEventListener("click", (e) => {
      if (!geom) return;
      const r = box.getBoundingClientRect();
      const px = ((e.clientX - r.left) * geom.W) / r.width;
      const t = ((px - geom.pad.l) / (geom.W - geom.pad.l - geom.pad.r)) * geom.T;
      seek(Math.max(0, Math.min(geom.T, t)), false);
    });
    box.addEventListener("keydown", (e) => {
      if (!video || !data) return;
      const step = 1 / (data.fps || 30);
      const keys = { ArrowRight: step, ArrowLeft: -step, PageUp: 1, PageDown: -1 };
      if (e.key in keys) {
        e.preventDefault();
        video.pause();
        video.currentTime = Math.max(0, video.currentTime + keys[e.key]);
      } else if (e.key === "Home") { e.preventDefault(); video.currentTime = 0; }
    });
    if (video) {
      video.addEventListener("play", () => requestAnimationFrame(loop));
      ["timeupdate", "seeked", "loadedmetadata"].forEach((t) => video.addEventListener(t, moveCursor));
    }
    document.querySelectorAll(".fault-btn[data-seek]").forEach((btn) => {
      btn.addEventListener("click", () => {
        const t = parseFloat(btn.dataset.seek);
        if (Number.isNaN(t) || !video) return;
        seek(t, true);
        video.scrollIntoView({ block: "center", behavior: "instant" });
        video.focus();
      });
    });
    select.addEventListener("change", draw);
    window.addEventListener("resize", draw);

    fetch(box.dataset.src, { headers: { Accept: "application/json" } })
      .then((r) => r.json())
      .then((body) => {
        data = body;
        const names = Object.keys(body.metrics);
        const first = document.querySelector(".fault");
        for (const n of names) {
          select.append(el("option", { value: n }, body.metrics[n].description.split(";")[0] + " (" + body.metrics[n].unit + ")"));
        }
        // Start on the metric of the first fault, else the first one.
        const faultMetric = first && first.dataset.metric;
        if (faultMetric && names.includes(faultMetric)) select.value = faultMetric;
        box.dataset.ready = "1";
        draw();
      })
      .catch(() => { readout.textContent = "the timeline could not be loaded"; });
  }

  // ---- history page: one small chart per metric over the sessions ----
  function initHistory() {
    const holder = document.getElementById("history-charts");
    const src = document.getElementById("history-data");
    if (!holder || !src) return;
    const series = JSON.parse(src.textContent);
    for (const [name, s] of Object.entries(series)) {
      const card = el("section", { class: "card" });
      card.append(el("h2", {}, s.description.split(";")[0] + " (" + s.unit + ")"));
      const box = el("div", { class: "chart", role: "img",
        "aria-label": s.description + ": " + s.points.map((p) => p.date + " " + fmt(p.median, s.unit)).join(", ") });
      card.append(box);
      holder.append(card);
      const W = 420, H = 200, pad = { l: 44, r: 26, t: 10, b: 26 };
      const root = svg("svg", { viewBox: `0 0 ${W} ${H}` });
      box.append(root);
      const all = s.points.flatMap((p) => (p.mdc ? [p.median - p.mdc, p.median + p.mdc] : [p.median, p.p10, p.p90]))
        .filter((v) => v !== null && v !== undefined);
      let lo = Math.min(...all), hi = Math.max(...all);
      if (s.norm) { lo = Math.min(lo, s.norm.mild); hi = Math.max(hi, s.norm.mild); }
      const span = hi - lo || 1;
      lo -= 0.1 * span; hi += 0.1 * span;
      const n = s.points.length;
      const x = (i) => pad.l + ((W - pad.l - pad.r) * (n === 1 ? 0.5 : i / (n - 1)));
      const y = (v) => pad.t + ((H - pad.t - pad.b) * (hi - v)) / (hi - lo);
      for (const [band, a, b] of bandsFor(s.norm, lo, hi)) {
        root.append(svg("rect", { x: pad.l, width: W - pad.l - pad.r, y: y(b), height: y(a) - y(b), fill: `var(--band-${band})` }));
      }
      let d = "";
      s.points.forEach((p, i) => {
        const lo = p.mdc ? p.median - p.mdc : p.p10, hi = p.mdc ? p.median + p.mdc : p.p90;
        if (lo !== null && hi !== null && lo !== undefined && hi !== undefined) {
          root.append(svg("line", { x1: x(i), x2: x(i), y1: y(lo), y2: y(hi), stroke: "#7a8794", "stroke-width": 2, class: "errbar" }));
        }
        const mark = { worse: ["▲", "#c0262d"], improved: ["▼", "#1d7a3a"], changed: ["●", "#0b5cad"] }[p.verdict];
        if (mark) {
          const last = n > 1 && i === n - 1; // keep the label inside the chart
          const t = svg("text", { x: last ? x(i) - 8 : x(i) + 8, y: y(p.median) - 8, fill: mark[1],
            "text-anchor": last ? "end" : "start", class: "real-change" });
          t.textContent = mark[0] + " " + p.verdict;
          root.append(t);
        }
        d += (i ? "L" : "M") + x(i) + " " + y(p.median);
        const label = svg("text", { x: x(i), y: H - 8, "text-anchor": "middle" });
        label.textContent = p.date.slice(5);
        root.append(label);
      });
      root.append(svg("path", { d, fill: "none", stroke: "#0b5cad", "stroke-width": 2 }));
      s.points.forEach((p, i) => root.append(svg("circle", { cx: x(i), cy: y(p.median), r: 4, fill: "#0b5cad" })));
      for (const v of [lo + 0.1 * span / 1.2, hi - 0.1 * span / 1.2]) {
        const label = svg("text", { x: pad.l - 4, y: y(v) + 4, "text-anchor": "end" });
        label.textContent = fmt(v, s.unit);
        root.append(label);
      }
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    initHomeJobs();
    initUpload();
    initSession();
    initHistory();
  });
})();
