// formcheck live page: the browser's camera -> the server's live coaching -> overlay and speech.
// One frame request in flight at a time; the server answers with the newest result.
"use strict";

(function () {
  const root = document.getElementById("live");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const startBtn = $("live-start"), stopBtn = $("live-stop"), muteBtn = $("live-mute");
  const statusEl = $("live-status"), stepsEl = $("live-steps"), rateEl = $("live-rate");
  const messageEl = $("live-message"), cueEl = $("live-cue"), noteEl = $("live-note");
  const recordBox = $("live-record"), athleteEl = $("live-athlete");
  const canvas = $("live-canvas"), ctx = canvas.getContext("2d");
  const SEND_WIDTH = 480;          // px: the pose model looks at a 256 px crop anyway
  const MIN_INTERVAL_MS = 1000 / 15; // at most 15 frames a second
  const CUE_SHOW_MS = 4000;
  const JPEG_QUALITY = 0.7;
  const LINE = { ok: "#2fbf4a", warn: "#ffb000", fault: "#e5282e" };
  const LINE_NONE = "#a0a0a0";

  let stream = null, video = null, session = null, running = false;
  let t0 = 0, seenCues = 0, cueTimer = null;
  const grab = document.createElement("canvas"), gctx = grab.getContext("2d");
  const rate = { answered: [], trips: [] };
  let muted = localStorage.getItem("formcheck-live-muted") === "1";

  function showMute() {
    muteBtn.setAttribute("aria-pressed", muted ? "true" : "false");
    muteBtn.textContent = muted ? "Sound off" : "Sound on";
  }
  showMute();
  muteBtn.addEventListener("click", () => {
    muted = !muted;
    localStorage.setItem("formcheck-live-muted", muted ? "1" : "0");
    if (muted && window.speechSynthesis) window.speechSynthesis.cancel();
    showMute();
  });

  function message(text) {
    messageEl.textContent = text || "";
    messageEl.hidden = !text;
  }
  function status(text) { statusEl.textContent = text; }

  function say(text) {
    if (muted || !window.speechSynthesis || typeof SpeechSynthesisUtterance === "undefined") return;
    window.speechSynthesis.cancel(); // never queue: the newest cue is the one that matters
    const u = new SpeechSynthesisUtterance(text);
    u.rate = 1.05;
    window.speechSynthesis.speak(u);
  }

  function showCue(cue) {
    cueEl.textContent = cue.phrase;
    cueEl.hidden = false;
    cueEl.dataset.code = cue.code;
    clearTimeout(cueTimer);
    cueTimer = setTimeout(() => { cueEl.hidden = true; }, CUE_SHOW_MS);
    say(cue.phrase);
  }

  function cameraProblem(err) {
    const name = err && err.name;
    if (name === "NotAllowedError" || name === "SecurityError")
      return "The camera was refused. Allow this page to use the camera (the camera icon in the " +
        "address bar, or the browser's site settings) and press Start camera again.";
    if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError")
      return "No camera was found. Connect a camera (or check it is switched on) and press Start camera again.";
    if (name === "NotReadableError" || name === "TrackStartError")
      return "The camera is in use by another program, or the system would not start it. Close the other " +
        "program and press Start camera again.";
    return "The camera could not be started (" + (name || "unknown error") + ": " + (err && err.message || "") + ").";
  }

  async function api(path, options) {
    const r = await fetch(path, Object.assign({ method: "POST", credentials: "same-origin" }, options,
      { headers: Object.assign({ "X-CSRF-Token": csrf, Accept: "application/json" }, (options || {}).headers) }));
    let body = null;
    try { body = await r.json(); } catch (e) { body = null; }
    return { ok: r.ok, status: r.status, body };
  }

  function note(text, link) {
    noteEl.textContent = text || "";
    if (link) {
      noteEl.append(" ");
      const a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      noteEl.append(a);
    }
    noteEl.hidden = !text;
  }

  async function start() {
    message("");
    note("");
    const record = recordBox.checked;
    const athlete = athleteEl.value.trim();
    if (record && !athlete) {
      message("Give the athlete's name to record the session into the library.");
      athleteEl.focus();
      return;
    }
    startBtn.disabled = true;
    // a click unlocks speech in browsers that need a user gesture before speaking
    if (window.speechSynthesis && !muted) window.speechSynthesis.speak(new SpeechSynthesisUtterance(""));
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      message("This browser gives the camera only to pages opened on this computer (localhost, 127.0.0.1) " +
        "or over https, so it cannot be used at this address. Open formcheck on the computer the camera " +
        "is attached to, or through https.");
      status("No camera");
      startBtn.disabled = false;
      return;
    }
    status("Asking for the camera…");
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false, video: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } } });
    } catch (err) {
      message(cameraProblem(err));
      status("No camera");
      startBtn.disabled = false;
      return;
    }
    video = document.createElement("video");
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    try { await video.play(); } catch (e) { /* autoplay of a muted camera is allowed; frames come anyway */ }
    status("Starting the pose model…");
    const r = await api("/api/live/start", {
      body: JSON.stringify(record ? { record: true, athlete } : {}),
      headers: { "Content-Type": "application/json" } });
    if (!r.ok) {
      message((r.body && r.body.error) || ("The server refused to start (HTTP " + r.status + ")."));
      status("Not started");
      stopCamera();
      startBtn.disabled = false;
      return;
    }
    session = r.body;
    seenCues = 0;
    rate.answered = [];
    t0 = performance.now();
    running = true;
    stopBtn.disabled = false;
    recordBox.disabled = athleteEl.disabled = true;
    // while running, the picture and its cue get the screen (readable from the treadmill)
    root.querySelector(".live-record").open = false;
    canvas.scrollIntoView({ block: "nearest" });
    status("Finding the runner…");
    loop();
  }

  function stopCamera() {
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    if (video) video.srcObject = null;
    video = null;
  }

  async function stop(why) {
    const was = session;
    running = false;
    session = null;
    stopCamera();
    stopBtn.disabled = true;
    startBtn.disabled = false;
    recordBox.disabled = athleteEl.disabled = false;
    status(why || "Stopped");
    if (!was) return;
    const r = await api("/api/live/stop?session=" + encodeURIComponent(was.session));
    if (r.ok && r.body && r.body.recording) {
      note("Recording: " + r.body.recording + ".", r.body.job ? { href: "/upload", text: "Follow its analysis on the Upload page." } : null);
      if (r.body.job) noteEl.dataset.job = r.body.job.id;
    }
  }

  function frameBlob() {
    const vw = video.videoWidth, vh = video.videoHeight;
    if (!vw || !vh) return Promise.resolve(null);
    const w = Math.min(SEND_WIDTH, vw), h = Math.round(vh * w / vw);
    if (grab.width !== w || grab.height !== h) { grab.width = w; grab.height = h; }
    gctx.drawImage(video, 0, 0, w, h);
    return new Promise((resolve) => grab.toBlob(resolve, "image/jpeg", JPEG_QUALITY));
  }

  async function loop() {
    while (running) {
      const began = performance.now();
      const blob = await frameBlob();
      if (!running) break;
      if (!blob) { await sleep(50); continue; }
      // the picture sent is the picture drawn: the skeleton sits on the frame it came from
      const shown = document.createElement("canvas");
      shown.width = grab.width; shown.height = grab.height;
      shown.getContext("2d").drawImage(grab, 0, 0);
      const t = ((began - t0) / 1000).toFixed(3);
      let r;
      try {
        r = await api("/api/live/frame?session=" + encodeURIComponent(session.session) + "&t=" + t +
          "&cues=" + seenCues, { body: blob, headers: { "Content-Type": "image/jpeg" } });
      } catch (e) {
        if (!running) break;
        message("The formcheck server cannot be reached (" + e.message + "). Is 'formcheck serve' still running?");
        await stop("Connection lost");
        break;
      }
      if (!running) break;
      if (!r.ok) {
        message((r.body && r.body.error) || ("The server refused the frame (HTTP " + r.status + ")."));
        await stop("Stopped");
        break;
      }
      rate.trips.push(performance.now() - began);
      if (rate.trips.length > 30) rate.trips.shift();
      handle(r.body, shown);
      if (r.body.ended) {
        message("The live session ended: " + r.body.ended + ".");
        await stop("Ended");
        break;
      }
      const wait = MIN_INTERVAL_MS - (performance.now() - began);
      if (wait > 0) await sleep(wait);
    }
  }

  function sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }

  function handle(answer, shown) {
    for (const cue of answer.cues || []) showCue(cue);
    seenCues = answer.cue_count;
    const res = answer.result;
    const now = performance.now();
    rate.answered.push(now);
    while (rate.answered.length && now - rate.answered[0] > 3000) rate.answered.shift();
    const fps = rate.answered.length / 3;
    const trips = rate.trips.slice().sort((a, b) => a - b);
    const median = trips.length ? trips[Math.floor(trips.length / 2)] : NaN;
    const f = answer.frames || {};
    // frames the server skipped (only when a frame arrives while it is still busy)
    const skipped = f.received && f.dropped ? " · " + Math.round(100 * f.dropped / f.received) + "% skipped" : "";
    rateEl.textContent = fps.toFixed(0) + " frames/s · " + Math.round(median) + " ms a frame" + skipped;
    rateEl.dataset.fps = fps.toFixed(2);
    rateEl.dataset.ms = String(Math.round(median));
    if (!res) return;
    draw(shown, res);
    stepsEl.textContent = String(res.steps);
    let text = res.status;
    if (res.status === "tracking") text = "Tracking" + (res.facing ? (res.facing > 0 ? " (runner faces right)" : " (runner faces left)") : "");
    else text = text.charAt(0).toUpperCase() + text.slice(1);
    status(text);
    root.dataset.status = res.status;
    root.dataset.slow = res.slow ? "yes" : "no";  // too slow for live cues: the status says so
    root.dataset.line = res.line || "none";
  }

  function mid(lm, pair) {
    const pts = pair.map((i) => lm[i]).filter((p) => p && p[0] !== null && p[1] !== null && p[2] > 0);
    if (!pts.length) return null;
    return [pts.reduce((s, p) => s + p[0], 0) / pts.length, pts.reduce((s, p) => s + p[1], 0) / pts.length];
  }

  function draw(shown, res) {
    if (canvas.width !== shown.width || canvas.height !== shown.height) {
      canvas.width = shown.width; canvas.height = shown.height;
    }
    ctx.drawImage(shown, 0, 0);
    const lm = res.landmarks;
    if (!lm) return;
    const sx = canvas.width / res.width, sy = canvas.height / res.height;
    const scale = Math.max(canvas.width, canvas.height) / 640;
    const ok = (p) => p && p[0] !== null && p[1] !== null && p[2] > 0;
    ctx.lineCap = "round";
    ctx.strokeStyle = "rgba(235,235,235,0.9)";
    ctx.lineWidth = Math.max(1.5, 2.5 * scale);
    for (const [a, b] of session.skeleton) {
      if (!ok(lm[a]) || !ok(lm[b])) continue;
      ctx.beginPath();
      ctx.moveTo(lm[a][0] * sx, lm[a][1] * sy);
      ctx.lineTo(lm[b][0] * sx, lm[b][1] * sy);
      ctx.stroke();
    }
    const chain = [mid(lm, session.chain.ear), mid(lm, session.chain.shoulder), mid(lm, session.chain.hip)];
    const colour = LINE[res.line] || LINE_NONE;
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.lineWidth = Math.max(3, 7 * scale);
    for (let i = 0; i + 1 < chain.length; i++) {
      const p = chain[i], q = chain[i + 1];
      if (!p || !q) continue;
      ctx.beginPath();
      ctx.moveTo(p[0] * sx, p[1] * sy);
      ctx.lineTo(q[0] * sx, q[1] * sy);
      ctx.stroke();
    }
    for (const p of chain) {
      if (!p) continue;
      ctx.beginPath();
      ctx.arc(p[0] * sx, p[1] * sy, Math.max(3, 7 * scale), 0, 2 * Math.PI);
      ctx.fill();
    }
  }

  startBtn.addEventListener("click", start);
  stopBtn.addEventListener("click", () => stop("Stopped"));
  // leaving the page ends the session at once (else it ends after a few seconds without frames)
  window.addEventListener("pagehide", () => {
    if (!session) return;
    fetch("/api/live/stop?session=" + encodeURIComponent(session.session),
      { method: "POST", keepalive: true, credentials: "same-origin", headers: { "X-CSRF-Token": csrf } });
  });
})();
