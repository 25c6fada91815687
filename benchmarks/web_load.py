"""Load on loopback: page clients and uploads against a real ``formcheck serve``.

Starts ``formcheck serve`` in a subprocess on 127.0.0.1 with a fresh library, seeds one
analysed session (so session, compare and history pages have content), then for
``--seconds`` runs ``--clients`` page clients (each requests a page, waits for the
answer, requests the next: closed loop, so the load is bounded by the server's speed)
and ``--uploads`` upload clients (each uploads a clip, follows its job to the end, and
uploads again). Reports page latency percentiles, errors, and the uploads' results.

    python benchmarks/web_load.py [--clients 20] [--uploads 4] [--seconds 60]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "sample_videos" / "runner_side_clean.mp4"


class Client:
    def __init__(self, port: int):
        self.port = port
        self.con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        for attempt in (0, 1):
            try:
                self.con.request(method, path, body=body, headers=headers or {})
                r = self.con.getresponse()
                return r.status, r.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.con.close()
                self.con = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt:
                    raise
        raise AssertionError("unreachable")


def multipart(fields: dict[str, str], name: str, content: bytes) -> tuple[bytes, str]:
    b = "loadtest" + uuid.uuid4().hex
    parts = [f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{b}\r\nContent-Disposition: form-data; name="clip"; filename="{name}"\r\n'
                 f"Content-Type: video/mp4\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{b}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={b}"


def upload(client: Client, csrf: str, clip: bytes, athlete: str) -> str:
    body, ctype = multipart({"athlete": athlete, "date": time.strftime("%Y-%m-%d")}, CLIP.name, clip)
    status, reply = client.request("POST", "/api/uploads", body,
                                   {"Content-Type": ctype, "X-CSRF-Token": csrf})
    if status != 201:
        raise RuntimeError(f"upload answered {status}: {reply[:200]!r}")
    return json.loads(reply)["job"]["id"]


def wait_job(client: Client, job_id: str, deadline: float) -> dict:
    while time.monotonic() < deadline:
        _, reply = client.request("GET", f"/api/jobs/{job_id}")
        job = json.loads(reply)["job"]
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.5)
    return {"state": "unfinished"}


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q / 100 * (len(s) - 1)))] if s else float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--uploads", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=1, help="analysis worker processes of the server")
    args = ap.parse_args(argv)

    library = Path(tempfile.mkdtemp(prefix="formcheck-load-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "formcheck", "serve", "--no-browser", "--library", str(library / "library.sqlite"),
         "--workers", str(args.workers)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = ""
        while not url.startswith("http://"):
            url = server.stdout.readline().strip()
            if server.poll() is not None:
                raise RuntimeError(server.stderr.read())
        port = int(re.search(r":(\d+)/", url).group(1))
        for _ in range(200):
            try:
                Client(port).request("GET", "/")
                break
            except OSError:
                time.sleep(0.1)
        seed = Client(port)
        csrf = re.search(rb'name="csrf-token" content="([^"]+)"', seed.request("GET", "/upload")[1]).group(1).decode()
        clip = CLIP.read_bytes()
        t0 = time.monotonic()
        seeded = wait_job(seed, upload(seed, csrf, clip, "Load Runner"), time.monotonic() + 600)
        if seeded["state"] != "done":
            raise RuntimeError(f"seed analysis did not finish: {seeded}")
        print(f"seed session analysed in {time.monotonic() - t0:.1f} s", flush=True)
        sid = seeded["session_id"]
        pages = ["/", "/upload", "/api/jobs", f"/sessions/{sid}", f"/api/sessions/{sid}/timeline",
                 f"/compare?a={sid}&b={sid}", "/history?athlete=Load+Runner", "/static/app.js"]

        stop = time.monotonic() + args.seconds
        latencies: dict[str, list[float]] = {p: [] for p in pages}
        errors: list[str] = []
        upload_times: list[float] = []
        jobs: list[str] = []
        lock = threading.Lock()

        def page_client(i: int) -> None:
            c = Client(port)
            k = i
            while time.monotonic() < stop:
                path = pages[k % len(pages)]
                k += 1
                t = time.perf_counter()
                try:
                    status, _ = c.request("GET", path)
                except Exception as exc:
                    status = -1
                    with lock:
                        errors.append(f"{path}: {exc}")
                dt = time.perf_counter() - t
                with lock:
                    latencies[path].append(dt)
                    if status != 200 and status != -1:
                        errors.append(f"{path}: HTTP {status}")

        def upload_client(i: int) -> None:
            c = Client(port)
            while time.monotonic() < stop:
                t = time.perf_counter()
                try:
                    jid = upload(c, csrf, clip, f"Load Runner {i}")
                except Exception as exc:
                    with lock:
                        errors.append(f"upload: {exc}")
                    return
                with lock:
                    upload_times.append(time.perf_counter() - t)
                job = wait_job(c, jid, stop)
                with lock:
                    jobs.append(job["state"])
                if job["state"] == "failed":
                    with lock:
                        errors.append(f"job failed: {job.get('message')}")

        threads = [threading.Thread(target=page_client, args=(i,)) for i in range(args.clients)]
        threads += [threading.Thread(target=upload_client, args=(i,)) for i in range(args.uploads)]
        t_start = time.monotonic()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.monotonic() - t_start
        every = [v for vs in latencies.values() for v in vs]
        print(f"{args.clients} page clients + {args.uploads} upload clients for {wall:.0f} s on "
              f"{os.cpu_count()} cores, {args.workers} analysis worker(s)")
        print(f"pages: {len(every)} requests ({len(every) / wall:.0f}/s), errors: {len(errors)}")
        print(f"page latency ms: p50 {1000 * pct(every, 50):.0f}, p95 {1000 * pct(every, 95):.0f}, "
              f"max {1000 * max(every):.0f}")
        for path, vs in latencies.items():
            name = re.sub(r"[0-9a-f]{32}", "<id>", path)
            print(f"  {name:40s} n={len(vs):5d} p50 {1000 * pct(vs, 50):6.0f} ms  p95 {1000 * pct(vs, 95):6.0f} ms")
        if upload_times:
            print(f"uploads: {len(upload_times)} ({CLIP.stat().st_size / 1e6:.1f} MB each), "
                  f"upload request p50 {1000 * statistics.median(upload_times):.0f} ms, "
                  f"max {1000 * max(upload_times):.0f} ms; jobs ended in the window: "
                  f"{ {s: jobs.count(s) for s in set(jobs)} }")
        for e in errors[:10]:
            print("error:", e)
        return 1 if errors else 0
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        import shutil

        shutil.rmtree(library, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
