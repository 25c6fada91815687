"""The live page's API on a real server on loopback: frames posted in order, cues back.

The fast tests replace the pose model by the synthetic runner's exact joints (the
``truth_pose`` of ``tests/test_live.py``): the server still runs ``start_session``, with
the same causal pipeline, cue engine and thresholds as ``formcheck live``. The test marked
``slow`` posts the rendered clip's pixels to the real pose model.
"""

from __future__ import annotations

import io
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from formcheck.web.config import WebConfig
from tests.test_live import CLEAN, STEP_AT, STEPPED, truth_pose
from tests.webtools import serve


def jpeg(rgb: np.ndarray, quality: int = 80) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


class FakeTracker:
    """Stands in for :class:`formcheck.pose.stream.PoseTracker`: the exact joints of the
    spec set in :data:`SPEC` (by frame time), whatever the pixels."""

    SPEC = STEPPED
    made: ClassVar[list[FakeTracker]] = []

    def __init__(self, model, max_side=640):
        self.pose = truth_pose(self.SPEC)
        self.closed = False
        FakeTracker.made.append(self)

    def __call__(self, rgb, time_s):
        return self.pose(rgb, time_s)

    def close(self):
        self.closed = True


@pytest.fixture
def fake_pose(monkeypatch):
    import formcheck.pose.stream

    FakeTracker.made = []
    monkeypatch.setattr(formcheck.pose.stream, "PoseTracker", FakeTracker)
    return FakeTracker


class Client:
    """A page's requests: the CSRF token, the Host and Origin of the server."""

    def __init__(self, srv, headers: dict[str, str] | None = None):
        self.srv = srv
        self.headers = {"X-CSRF-Token": srv.web.csrf_token, "Origin": srv.base, **(headers or {})}

    def post(self, path: str, body: bytes = b"", **extra: str):
        status, _, data = self.srv.request("POST", path, body=body, headers={**self.headers, **extra})
        return status, (json.loads(data) if data else None)

    def start(self, **options) -> str:
        body = json.dumps(options).encode() if options else b""
        status, body = self.post("/api/live/start", body, **{"Content-Type": "application/json"})
        assert status == 201, body
        return body["session"]

    def frame(self, sid: str, data: bytes, t: float, cues: int = 0, **extra: str):
        return self.post(f"/api/live/frame?session={sid}&t={t:.4f}&cues={cues}", data,
                         **{"Content-Type": "image/jpeg", **extra})


@pytest.fixture
def config(tmp_path: Path) -> WebConfig:
    return WebConfig(library=tmp_path / "library.sqlite")


def play(client: Client, spec, frames: list[bytes] | None = None, **options):
    """Post every frame of ``spec`` in order, each after the last one's answer."""
    sid = client.start(**options)
    blank = jpeg(np.full((spec.height, spec.width, 3), 90, np.uint8))
    cues, answers = [], []
    for i in range(spec.n_frames):
        status, a = client.frame(sid, frames[i] if frames else blank, i / spec.fps, len(cues))
        assert status == 200, a
        assert a["ended"] is None
        cues += a["cues"]
        assert a["cue_count"] == len(cues)
        answers.append(a)
    status, end = client.post(f"/api/live/stop?session={sid}")
    assert status == 200
    return cues, answers, end


def test_forward_head_cue_comes_back_within_3_s_and_the_overlay_data_with_each_frame(
        config, fake_pose):
    with serve(config, start_workers=False) as srv:
        cues, answers, end = play(Client(srv), STEPPED)
    assert [c["code"] for c in cues][:1] == ["forward_head"]
    assert cues[0]["phrase"] == "head up, run tall"
    assert STEP_AT < cues[0]["time_s"] <= STEP_AT + 3.0
    # one request in flight: every frame was processed, none dropped
    assert not any(a["dropped"] for a in answers)
    assert [a["result"]["index"] for a in answers] == list(range(STEPPED.n_frames))
    last = answers[-1]["result"]
    assert last["status"] == "tracking" and last["view"] == "side" and last["facing"] != 0
    assert len(last["landmarks"]) == 33 and last["width"] == STEPPED.width
    # the line turns red while the fault is active; before the head moved it was green
    lines = [(a["result"]["time_s"], a["result"]["line"]) for a in answers]
    assert {ln for t, ln in lines if 2.0 < t < STEP_AT} == {"ok"}
    assert last["line"] == "fault" and "forward_head" in last["active"]
    steps = last["steps"]
    assert abs(steps - STEPPED.cadence_spm / 60 * STEPPED.duration_s) <= 4  # ~1 s to find the rhythm
    summary = end["summary"]
    assert summary["frames_processed"] == STEPPED.n_frames and summary["frames_dropped"] == 0
    assert [c["code"] for c in summary["cues"]] == [c["code"] for c in cues]
    assert fake_pose.made and all(t.closed for t in fake_pose.made)


def test_clean_runner_gets_no_cue(config, fake_pose, monkeypatch):
    monkeypatch.setattr(FakeTracker, "SPEC", CLEAN)
    with serve(config, start_workers=False) as srv:
        cues, answers, _ = play(Client(srv), CLEAN)
    assert cues == []
    assert answers[-1]["result"]["steps"] >= 20  # the rhythm was found: silence is not blindness
    assert answers[-1]["result"]["line"] == "ok"


def test_one_live_session_at_a_time(config, fake_pose):
    with serve(config, start_workers=False) as srv:
        c = Client(srv)
        sid = c.start()
        status, body = c.post("/api/live/start")
        assert status == 409 and "another live session is running" in body["error"]
        assert c.post(f"/api/live/stop?session={sid}")[0] == 200
        status, body = c.frame(sid, jpeg(np.zeros((240, 320, 3), np.uint8)), 0.0)
        assert status == 410 and "ended" in body["error"]
        c.post(f"/api/live/stop?session={c.start()}")  # free again


def test_a_page_that_goes_away_frees_the_slot(config, fake_pose, monkeypatch):
    import formcheck.web.live

    monkeypatch.setattr(formcheck.web.live, "IDLE_END_S", 0.4)
    with serve(config, start_workers=False) as srv:
        c = Client(srv)
        sid = c.start()
        assert c.frame(sid, jpeg(np.zeros((240, 320, 3), np.uint8)), 0.0)[0] == 200
        time.sleep(1.2)
        status, body = c.frame(sid, jpeg(np.zeros((240, 320, 3), np.uint8)), 1.0)
        assert status == 410 and "stalled" in body["error"]
        c.post(f"/api/live/stop?session={c.start()}")


def test_a_recorded_session_is_queued_for_the_full_analysis(config, fake_pose):
    from formcheck.io.video import probe

    with serve(config, start_workers=False) as srv:
        c = Client(srv)
        status, body = c.post("/api/live/start", json.dumps({"record": True, "athlete": " "}).encode())
        assert status == 400 and "athlete's name" in body["error"]
        status, body = c.post("/api/live/start", b"[1, 2]")
        assert status == 400 and "JSON object" in body["error"]
        cues, answers, end = play(c, STEPPED, record=True, athlete="Live Runner")
        assert end["recording"] == "recorded; the full analysis is queued"
        job = srv.web.jobs.get(end["job"]["id"])
        assert (job.state, job.athlete) == ("queued", "Live Runner")
        assert str(config.data_dir) not in json.dumps(end)
        clip = Path(job.clip_path)
        assert clip == config.data_dir / "live" / answers[0]["session"] / "live.mp4"
        info = probe(clip)
        assert info.frames == STEPPED.n_frames  # every frame the page sent
        assert abs(info.duration_s - STEPPED.duration_s) < 0.1
        assert [c["code"] for c in json.loads((clip.parent / "cues.json").read_text())] == \
            [c["code"] for c in cues]
        # a session shorter than a few seconds is not worth an analysis
        sid = c.start(record=True, athlete="Live Runner")
        for i in range(10):
            assert c.frame(sid, jpeg(np.zeros((240, 320, 3), np.uint8)), i / 30)[0] == 200
        status, end = c.post(f"/api/live/stop?session={sid}")
        assert end["job"] is None and end["recording"].startswith("the recording is too short")


def test_bad_frames_get_a_clear_error(config, fake_pose):
    from formcheck.web.live import MAX_FRAME_BYTES, MAX_FRAME_SIDE

    ok = jpeg(np.zeros((240, 320, 3), np.uint8))
    noisy = jpeg(np.random.default_rng(0).integers(0, 255, (240, 320, 3), np.uint8))
    with serve(config, start_workers=False) as srv:
        c = Client(srv)
        sid = c.start()
        cases = [
            (b"", 400, "empty"),
            (b"GIF89a not a jpeg at all" * 10, 400, "not a JPEG"),
            (noisy[: len(noisy) // 2], 400, "truncated or damaged"),
            (jpeg(np.zeros((8, MAX_FRAME_SIDE + 8, 3), np.uint8)), 413, "largest side"),
            (b"\xff\xd8" + bytes(MAX_FRAME_BYTES + 10), 413, "limit"),
        ]
        for data, want, text in cases:
            status, body = c.frame(sid, data, 0.5)
            assert (status, text in body["error"]) == (want, True), (status, body)
        for query, text in (("t=abc", "must be numbers"), ("t=-1", "between 0"), ("t=nan", "between 0")):
            status, body = c.post(f"/api/live/frame?session={sid}&{query}", ok)
            assert status == 400 and text in body["error"], body
        assert c.frame(sid, ok, 1.0)[0] == 200
        status, body = c.frame(sid, ok, 1.0)
        assert status == 400 and "later than the previous" in body["error"]
        status, body = c.frame(sid, jpeg(np.zeros((120, 160, 3), np.uint8)), 1.5)
        assert status == 400 and "same size (320 x 240)" in body["error"]
        for bad in (sid[:-1] + "0" if sid[-1] != "0" else sid[:-1] + "1", "../../etc/passwd", ""):
            status, body = c.frame(bad, ok, 2.0)
            assert status == 404 and "no such live session" in body["error"]
        c.post(f"/api/live/stop?session={sid}")


def test_missing_token_cross_origin_and_missing_csrf_are_refused(tmp_path, fake_pose):
    token = "t" * 24
    config = WebConfig(library=tmp_path / "library.sqlite", token=token)
    with serve(config, start_workers=False) as srv:
        page = Client(srv, {"X-Formcheck-Token": token})
        for client, want in ((Client(srv), 401),  # no token
                             (Client(srv, {"X-Formcheck-Token": "x" * 24}), 401),
                             (Client(srv, {"X-Formcheck-Token": token, "Origin": "http://evil.example"}), 403),
                             (Client(srv, {"X-Formcheck-Token": token, "Sec-Fetch-Site": "cross-site"}), 403),
                             (Client(srv, {"X-Formcheck-Token": token, "X-CSRF-Token": "stale"}), 403)):
            assert client.post("/api/live/start")[0] == want
        assert not fake_pose.made  # nothing was started by the refused requests
        sid = page.start()
        ok = jpeg(np.zeros((240, 320, 3), np.uint8))
        assert Client(srv).frame(sid, ok, 0.1)[0] == 401
        assert Client(srv, {"X-Formcheck-Token": token, "Origin": "http://evil.example"}).frame(sid, ok, 0.1)[0] == 403
        assert Client(srv, {"X-Formcheck-Token": token}).post(f"/api/live/stop?session={sid}",
                                                              **{"X-CSRF-Token": "stale"})[0] == 403
        assert page.frame(sid, ok, 0.1)[0] == 200
        status, _, html = srv.request("GET", "/live", headers={"Host": f"127.0.0.1:{srv.port}",
                                                                "X-Formcheck-Token": token})
        assert status == 200 and b'src="/static/live.js"' in html
        assert srv.request("GET", "/live")[0] == 401
        page.post(f"/api/live/stop?session={sid}")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["stepped", "clean"])
def test_model_cues_forward_head_from_posted_pixels(config, tmp_path, name):
    """The rendered clip's frames as JPEGs, to the real pose model: the cue within 3 s of
    the head moving forward, none for the clean runner."""
    from formcheck.io.video import iter_frames, probe
    from formcheck.synth.render import render_clip

    spec = {"stepped": STEPPED, "clean": CLEAN}[name]
    clip = tmp_path / f"{name}.mp4"
    render_clip(spec, clip)
    frames = [jpeg(f.rgb, 90) for f in iter_frames(probe(clip))]
    assert len(frames) == spec.n_frames
    with serve(config, start_workers=False) as srv:
        cues, answers, end = play(Client(srv), spec, frames, record=spec is STEPPED, athlete="Live Runner")
    if spec is STEPPED:
        assert cues and cues[0]["code"] == "forward_head"
        assert STEP_AT < cues[0]["time_s"] <= STEP_AT + 3.0
        # the recording the page asked for analyses in full, as the queued job will
        from formcheck.model.settings import Settings
        from formcheck.pipeline.run import run_analysis

        clip = Path(srv.web.jobs.get(end["job"]["id"]).clip_path)
        summary = run_analysis(clip, tmp_path / "analysis", Settings(video=False, report=False))
        cadence = summary["metrics"]["cadence_spm"]["median"]
        assert abs(cadence - spec.cadence_spm) < 0.05 * spec.cadence_spm, cadence
        print("recorded session analysed: faults", [f["code"] for f in summary["faults"]])
    else:
        assert answers[-1]["result"]["steps"] >= 20
        assert cues == []


class NobodyTracker(FakeTracker):
    """A pose model that finds nobody (an empty scene)."""

    def __call__(self, rgb, time_s):
        from formcheck.pose.stream import PoseSample

        return PoseSample.missing()


def test_the_page_says_why_no_step_was_found(config, monkeypatch):
    """Frames pushed as the page pushes them (one in flight), nobody in view: from 5 s on
    the status the page shows says why there are no steps, until the end."""
    import formcheck.pose.stream

    monkeypatch.setattr(formcheck.pose.stream, "PoseTracker", NobodyTracker)
    spec = replace(CLEAN, duration_s=7.0)
    with serve(config, start_workers=False) as srv:
        _cues, answers, _ = play(Client(srv), spec)
    late = [a["result"] for a in answers if a["result"]["time_s"] >= 5.2]
    assert late and all(r["status"].startswith("no steps for") and "no runner in view" in r["status"]
                        for r in late)
    assert all(not a["result"]["status"].startswith("no steps")
               for a in answers if a["result"]["time_s"] < 4.8)
