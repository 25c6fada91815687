"""The web app refuses what it must: path traversal, oversize and non-video uploads,
requests without the access token, cross-origin writes and foreign Host headers.

Every test talks to a real uvicorn server on loopback over HTTP, with a real SQLite
library; none runs the pose model (the analysis workers are not started).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from formcheck.errors import InputError
from formcheck.web.config import WebConfig
from formcheck.web.jobs import JobStore
from tests.conftest import write_clip
from tests.webtools import multipart, serve

SECRET = b"SQLite format 3"


def _library_with_session(root: Path) -> int:
    """A library holding one recorded session whose folder has a summary and a report."""
    import datetime as dt

    from formcheck.store import Library
    from tests.library_data import make_analysis

    folder = make_analysis(root / "sessions" / "s1")
    (folder / "report.pdf").write_bytes(b"%PDF-1.4 test\n")
    with Library.open(root / "library.sqlite") as store:
        return store.record(folder, "Ana", date=dt.date(2026, 1, 1)).session_id


def _config(lib: Path, **kw) -> WebConfig:
    return WebConfig(library=lib / "library.sqlite", **kw)


def _csrf(srv) -> str:
    status, _, body = srv.request("GET", "/upload")
    assert status == 200
    return re.search(rb'name="csrf-token" content="([^"]+)"', body).group(1).decode()


def _tiny_clip(path: Path) -> bytes:
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (64, 64, 3), dtype=np.uint8) for _ in range(6)]
    return write_clip(path, frames).read_bytes()


@pytest.fixture()
def lib(tmp_path: Path) -> Path:
    return tmp_path / "library"


def _post_upload(srv, body: bytes, ctype: str, token: str, **extra: str):
    headers = {"Content-Type": ctype, "X-CSRF-Token": token, **extra}
    return srv.request("POST", "/api/uploads", body, headers)


@pytest.mark.parametrize("path", [
    "/sessions/{sid}/files/..%2Fweb.sqlite",
    "/sessions/{sid}/files/..%2F..%2Fweb.sqlite",
    "/sessions/{sid}/files/%2e%2e%2f%2e%2e%2fweb.sqlite",
    "/sessions/{sid}/files/web-jobs.sqlite",
    "/sessions/{sid}/files/library.sqlite",
    "/sessions/0{sid}/files/..%2F..%2Flibrary.sqlite",
    "/sessions/-1/files/report.pdf",
    "/sessions/1e0/files/report.pdf",
    "/sessions/%EF%BC%91/files/report.pdf",
    "/sessions/..%2F..%2F/files/summary.json",
    "/sessions/{sid}%2F..%2F..%2F/files/report.pdf",
    "/static/..%2F..%2F..%2Flibrary%2Fweb.sqlite",
    "/static/%2e%2e/app.py",
    "/api/jobs/..%2F..%2Fweb.sqlite",
    "/api/sessions/..%2F..%2F/timeline",
])
def test_path_traversal_is_refused(lib: Path, path: str) -> None:
    sid = _library_with_session(lib)
    with serve(_config(lib), start_workers=False) as srv:
        status, _, body = srv.request("GET", path.format(sid=sid))
        assert status in (400, 404)
        assert SECRET not in body and b"import" not in body
        # the same session's real file is served, so the refusal above is not a dead route
        status, headers, body = srv.request("GET", f"/sessions/{sid}/files/report.pdf")
        assert status == 200 and body.startswith(b"%PDF")
        assert headers["content-type"] == "application/pdf"


def test_oversize_upload_refused_before_storing(lib: Path, tmp_path: Path) -> None:
    with serve(_config(lib, max_upload_bytes=100_000), start_workers=False) as srv:
        token = _csrf(srv)
        body, ctype = multipart({"athlete": "Ana"}, "big.mp4", b"\0" * 300_000)
        status, _, reply = _post_upload(srv, body, ctype, token)
        assert status == 413
        assert "limit" in json.loads(reply)["error"]
        assert list((lib / "clips").iterdir()) == []
        assert srv.web.jobs.recent() == []
        # a body that announces more than the limit is refused before a byte is read
        status, _, _ = _post_upload(srv, body[:1000], ctype, token, **{"Content-Length": str(10**10)})
        assert status == 413
        assert list((lib / "clips").iterdir()) == []


def test_wrong_type_refused_by_the_probe_not_the_name(lib: Path, tmp_path: Path) -> None:
    with serve(_config(lib), start_workers=False) as srv:
        token = _csrf(srv)
        body, ctype = multipart({"athlete": "Ana"}, "holiday.mp4", b"this is text, not a video\n" * 100)
        status, _, reply = _post_upload(srv, body, ctype, token)
        assert status == 415
        message = json.loads(reply)["error"]
        assert message.startswith("holiday.mp4: not a video formcheck can read")
        assert str(lib) not in message  # no server path in the message
        body, ctype = multipart({"athlete": "Ana"}, "empty.mp4", b"")
        status, _, reply = _post_upload(srv, body, ctype, token)
        assert status == 400 and "empty" in json.loads(reply)["error"]
        assert list((lib / "clips").iterdir()) == []
        assert srv.web.jobs.recent() == []
        # a real video with an unusual name is accepted, stored under a server-chosen name
        clip = _tiny_clip(tmp_path / "x.mp4")
        body, ctype = multipart({"athlete": "Ana", "date": "2026-02-03"}, "../../evil name.txt", clip)
        status, _, reply = _post_upload(srv, body, ctype, token)
        assert status == 201, reply
        job = json.loads(reply)["job"]
        assert job["state"] == "queued" and job["clip_name"] == "evil name.txt"
        stored = list((lib / "clips").iterdir())
        assert [p.name for p in stored] == [f"{job['id']}.video"]
        assert stored[0].read_bytes() == clip
        assert not (tmp_path / "evil name.txt").exists()


def test_bad_fields_get_a_clear_message_and_store_nothing(lib: Path, tmp_path: Path) -> None:
    clip = _tiny_clip(tmp_path / "x.mp4")
    with serve(_config(lib), start_workers=False) as srv:
        token = _csrf(srv)
        for fields, expected in [({"athlete": ""}, "athlete"),
                                 ({"athlete": "Ana", "date": "03/02/2026"}, "YYYY-MM-DD"),
                                 ({"athlete": "Ana", "height_cm": "17"}, "plausible height"),
                                 ({"athlete": "Ana", "height_cm": "tall"}, "height must be a number"),
                                 # the library's own checks (Conditions), as on the command line
                                 ({"athlete": "Ana", "speed_kmh": "70"}, "speed must be between 0 and 60 km/h"),
                                 ({"athlete": "Ana", "speed_kmh": "nan"}, "speed must be between"),
                                 ({"athlete": "Ana", "condition": "beach"},
                                  "condition must be one of treadmill, outdoor")]:
            body, ctype = multipart(fields, "a.mp4", clip)
            status, _, reply = _post_upload(srv, body, ctype, token)
            assert status == 400 and expected in json.loads(reply)["error"]
        assert list((lib / "clips").iterdir()) == []


def test_cross_origin_and_tokenless_writes_refused(lib: Path, tmp_path: Path) -> None:
    clip = _tiny_clip(tmp_path / "x.mp4")
    body, ctype = multipart({"athlete": "Ana"}, "a.mp4", clip)
    with serve(_config(lib), start_workers=False) as srv:
        token = _csrf(srv)
        own = f"http://127.0.0.1:{srv.port}"
        refused = [
            {"Content-Type": ctype, "X-CSRF-Token": token, "Origin": "http://evil.example"},
            {"Content-Type": ctype, "X-CSRF-Token": token, "Origin": f"http://127.0.0.1:{srv.port + 1}"},
            {"Content-Type": ctype, "X-CSRF-Token": token, "Sec-Fetch-Site": "cross-site"},
            {"Content-Type": ctype, "Origin": own},  # no page token
            {"Content-Type": ctype, "X-CSRF-Token": "forged", "Origin": own},
        ]
        for headers in refused:
            status, _, _ = srv.request("POST", "/api/uploads", body, headers)
            assert status == 403, headers
        assert list((lib / "clips").iterdir()) == []
        # a foreign Host header (DNS rebinding) is refused on every method
        status, _, _ = srv.request("GET", "/", headers={"Host": "evil.example"})
        assert status == 400
        status, _, _ = srv.request("GET", "/", headers={"Host": f"localhost:{srv.port}"})
        assert status == 200
        # and the same-origin write with the page token goes through
        status, _, _ = srv.request("POST", "/api/uploads", body,
                                   {"Content-Type": ctype, "X-CSRF-Token": token, "Origin": own})
        assert status == 201


def test_access_token_required_on_every_request(lib: Path) -> None:
    secret = "t0ken-for-the-tests-" + uuid.uuid4().hex
    with serve(_config(lib, token=secret), start_workers=False) as srv:
        for path in ("/", "/upload", "/api/jobs", "/static/app.js", "/compare"):
            status, _, body = srv.request("GET", path)
            assert status == 401, path
            assert b"token" in body
        assert srv.request("GET", "/", headers={"X-Formcheck-Token": "wrong" * 8})[0] == 401
        assert srv.request("GET", "/?token=wrong")[0] == 401
        assert srv.request("GET", "/", headers={"X-Formcheck-Token": secret})[0] == 200
        assert srv.request("GET", "/api/jobs", headers={"Authorization": f"Bearer {secret}"})[0] == 200
        # first visit with ?token= sets an HttpOnly cookie and drops the token from the address
        status, headers, _ = srv.request("GET", f"/compare?a=1&token={secret}")
        assert status == 303 and headers["location"] == "/compare?a=1"
        cookie = headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        status, _, _ = srv.request("GET", "/", headers={"Cookie": cookie.split(";")[0]})
        assert status == 200


def test_network_address_needs_a_token() -> None:
    with pytest.raises(InputError, match="token"):
        WebConfig(library=Path("/nonexistent"), host="0.0.0.0")
    WebConfig(library=Path("/nonexistent"), host="0.0.0.0", token="x" * 32)


def test_serve_on_the_network_prints_a_token_once(tmp_path: Path) -> None:
    """`formcheck serve --host 0.0.0.0` creates a token, prints it in the address, and
    refuses requests without it."""
    import urllib.error
    import urllib.request

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    env.pop("FORMCHECK_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "formcheck", "serve", "--host", "0.0.0.0", "--no-browser",
         "--library", str(tmp_path / "lib")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith("http://"):
                url = line.strip()
        assert url is not None, proc.stderr.read() if proc.poll() is not None else "no address printed"
        m = re.match(r"http://[^:/]+:(\d+)/\?token=([A-Za-z0-9_-]{40,})$", url)
        assert m, url
        port, token = m.groups()
        local = f"http://127.0.0.1:{port}/"
        for _ in range(100):  # the address is printed just before uvicorn accepts
            try:
                urllib.request.urlopen(local, timeout=5)
            except urllib.error.HTTPError as exc:
                assert exc.code == 401
                break
            except urllib.error.URLError:
                time.sleep(0.1)
        else:
            pytest.fail("server never answered")
        req = urllib.request.Request(local, headers={"X-Formcheck-Token": token})
        assert urllib.request.urlopen(req, timeout=5).status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert token not in proc.stderr.read()


def test_jobs_survive_a_restart(tmp_path: Path) -> None:
    """Queued jobs stay queued; a job running when the server stopped is queued again
    once, then failed with a reason; a job whose clip vanished is failed."""
    clip = tmp_path / "clip.video"
    clip.write_bytes(b"x")
    store = JobStore(tmp_path / "web.sqlite")
    kw = dict(clip_path=clip, out_dir=tmp_path / "out", athlete="Ana", date=None, notes="", height_cm=None)
    first = store.add(clip_name="a.mp4", **kw)
    second = store.add(clip_name="b.mp4", **kw)
    gone = store.add(clip_name="c.mp4", **{**kw, "clip_path": tmp_path / "missing.video"})
    assert store.claim_next().id == first.id  # running when the "server" dies
    store = JobStore(tmp_path / "web.sqlite")
    assert store.recover() == (1, 0)
    assert store.get(first.id).state == "queued" and "restart" in store.get(first.id).stage
    assert store.get(second.id).state == "queued"
    assert store.get(gone.id).state == "failed" and "no longer stored" in store.get(gone.id).message
    assert store.claim_next().id == first.id  # second attempt, interrupted again
    assert store.recover() == (0, 1)
    failed = store.get(first.id)
    assert failed.state == "failed" and "upload it again" in failed.message
    assert store.get(second.id).state == "queued"
