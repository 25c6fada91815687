"""The live page in a real browser: Chromium's fake camera plays the synthetic runner.

Chromium's ``--use-file-for-fake-video-capture`` feeds a Y4M file to ``getUserMedia``
(looped); the page sends the frames to a real server on loopback running the real pose
model, draws the skeleton and the ear-shoulder-hip line and shows the cue. The
screenshot goes to ``$FORMCHECK_SCREENSHOTS`` (default: the test's temporary folder).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import wait_until

from formcheck.web.config import WebConfig
from tests.test_live import STEPPED
from tests.test_web_browser import CHROMEDRIVER, CHROMIUM
from tests.webtools import serve

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def y4m_of(spec, folder: Path) -> Path:
    """The synthetic runner rendered to an MP4, then rewritten as raw Y4M (I420)."""
    import av

    from formcheck.synth.render import render_clip

    mp4 = folder / "runner.mp4"
    render_clip(spec, mp4)
    y4m = folder / "runner.y4m"
    with av.open(str(mp4)) as src, av.open(str(y4m), "w", format="yuv4mpegpipe") as out:
        vin = src.streams.video[0]
        stream = out.add_stream("rawvideo", rate=round(spec.fps))
        stream.width, stream.height, stream.pix_fmt = vin.width, vin.height, "yuv420p"
        for frame in src.decode(vin):
            for packet in stream.encode(frame.reformat(format="yuv420p")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return y4m


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("chromium and chromedriver are not installed (make test installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    y4m = y4m_of(STEPPED, tmp_path_factory.mktemp("fakecam"))
    profile = tempfile.mkdtemp(prefix="formcheck-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={y4m}", f"--user-data-dir={profile}",
                "--window-size=1100,1000"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)




#: Counts the canvas pixels near each colour of the ear-shoulder-hip line (live.js LINE).
COUNT_LINE_PIXELS = """
const c = document.getElementById('live-canvas'), g = c.getContext('2d');
const d = g.getImageData(0, 0, c.width, c.height).data;
const want = {ok: [47, 191, 74], warn: [255, 176, 0], fault: [229, 40, 46]};
const n = {ok: 0, warn: 0, fault: 0, width: c.width, height: c.height,
           line: document.getElementById('live').dataset.line};  // read with the pixels: one task
for (let i = 0; i < d.length; i += 4)
  for (const [k, [r, gg, b]] of Object.entries(want))
    if (Math.abs(d[i] - r) < 12 && Math.abs(d[i + 1] - gg) < 12 && Math.abs(d[i + 2] - b) < 12) n[k]++;
return n;
"""


def test_live_page_tracks_the_fake_camera_and_cues(driver, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    shots = Path(os.environ.get("FORMCHECK_SCREENSHOTS", tmp_path / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    d = driver
    with serve(WebConfig(library=tmp_path / "library.sqlite"), start_workers=False) as srv:
        d.get(srv.base + "/live")
        live = d.find_element(By.ID, "live")
        assert d.find_element(By.ID, "live-status").text == "Not started"
        mute = d.find_element(By.ID, "live-mute")
        mute.click()
        assert (mute.text, mute.get_attribute("aria-pressed")) == ("Sound off", "true")
        mute.click()
        assert (mute.text, mute.get_attribute("aria-pressed")) == ("Sound on", "false")
        # what the page asks the browser to say (headless Chromium has no voices to hear)
        d.execute_script("window.spoken = []; const say = speechSynthesis.speak.bind(speechSynthesis);"
                         "speechSynthesis.speak = (u) => { window.spoken.push(u.text); say(u); };")
        d.find_element(By.CSS_SELECTOR, ".live-record summary").click()
        d.find_element(By.ID, "live-record").click()
        d.find_element(By.ID, "live-athlete").send_keys("Live Runner")
        d.find_element(By.ID, "live-start").click()
        wait_until(lambda: live.get_attribute("data-status") == "tracking", 30, "the status to say tracking")
        wait_until(lambda: int(d.find_element(By.ID, "live-steps").text) >= 3, 20, "steps to be counted")
        assert d.find_element(By.ID, "live-status").text.startswith("Tracking (runner faces")
        counts = d.execute_script(COUNT_LINE_PIXELS)
        assert (counts["width"], counts["height"]) == (STEPPED.width, STEPPED.height)
        drawn = counts["line"]  # the state the counted canvas was drawn with (a new frame may follow)
        assert drawn in ("ok", "warn", "fault") and counts[drawn] > 30, counts
        # The clip's head moves forward at 5 s (it loops every 9 s): the cue follows.
        cue = d.find_element(By.ID, "live-cue")
        wait_until(lambda: cue.is_displayed() and cue.text, 25, "the forward-head cue")
        assert cue.text.lower() == "head up, run tall" and cue.get_attribute("data-code") == "forward_head"
        assert "head up, run tall" in d.execute_script("return window.spoken")
        rate = d.find_element(By.ID, "live-rate")
        print(f"live page: {rate.get_attribute('data-fps')} frames/s, "
              f"{rate.get_attribute('data-ms')} ms a frame (median round trip)")
        d.save_screenshot(str(shots / "live.png"))
        d.find_element(By.ID, "live-stop").click()
        wait_until(lambda: d.find_element(By.ID, "live-status").text == "Stopped", 10, "the stop")
        note = d.find_element(By.ID, "live-note")
        wait_until(lambda: note.is_displayed(), 10, "the note about the recording")
        assert note.text == ("Recording: recorded; the full analysis is queued. "
                             "Follow its analysis on the Upload page.")
        summary = srv.web.live._run.summary
        print(f"server: {summary['frames_processed']} frames processed, {summary['frames_dropped']} dropped, "
              f"push-to-result latency p50 {summary['latency_p50_ms']} ms, p95 {summary['latency_p95_ms']} ms")
        job = srv.web.jobs.get(note.get_attribute("data-job"))
        assert (job.state, job.athlete) == ("queued", "Live Runner")
        d.save_screenshot(str(shots / "live-stopped.png"))
        errors = [e["message"] for e in d.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []


@pytest.mark.parametrize(("error", "explained"), [
    ("NotAllowedError", "The camera was refused."),
    ("NotFoundError", "No camera was found."),
    ("NotReadableError", "The camera is in use by another program"),
])
def test_a_refused_or_missing_camera_is_explained(driver, tmp_path: Path, error: str, explained: str) -> None:
    """The browser's answer is stood in for (the fake-camera flags grant every request):
    ``getUserMedia`` rejects with the error a browser gives when the user refuses, when
    there is no camera, or when another program holds it."""
    from selenium.webdriver.common.by import By

    d = driver
    d.get_log("browser")  # drop what earlier pages of this browser logged (a fetch cut by a server stop)
    with serve(WebConfig(library=tmp_path / "library.sqlite"), start_workers=False) as srv:
        d.get(srv.base + "/live")
        d.execute_script("navigator.mediaDevices.getUserMedia = () => "
                         "Promise.reject(new DOMException('refused', arguments[0]));", error)
        d.find_element(By.ID, "live-start").click()
        msg = d.find_element(By.ID, "live-message")
        wait_until(lambda: msg.is_displayed(), 10, "the message about the camera")
        assert msg.text.startswith(explained)
        assert d.find_element(By.ID, "live-status").text == "No camera"
        assert d.find_element(By.ID, "live-start").is_enabled()
        assert srv.web.live._run is None  # no server session was started
        assert [e for e in d.get_log("browser") if e["level"] == "SEVERE"] == []
