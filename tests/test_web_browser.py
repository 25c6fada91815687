"""The web app in a real browser (Chromium via chromedriver, headless) against a real
server on loopback with real worker processes running the pose model.

One scenario, in order: upload two clips at once, reload the page mid-analysis, see both
progress bars reach 100 %, open a session, play the video and watch the timeline cursor
move, click a fault and land on its evidence frame, click the timeline to seek, download
the PDF, compare the two sessions, open the history, check the pages on a phone-sized
screen, and find no console errors. Screenshots of every page are written to
``$FORMCHECK_SCREENSHOTS`` (default: the test's temporary folder).

``make test`` installs ``chromium`` and ``chromium-driver`` (Debian packages) when they
are missing, so CI runs this rather than skipping it.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from conftest import wait_until

from formcheck.model.settings import Settings
from formcheck.web.config import WebConfig
from tests.webtools import serve

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
ATHLETE = "Test Runner"


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two short synthetic side-view clips: a forward head (faults) and a clean runner."""
    from dataclasses import replace

    from formcheck.synth.render import render_clip
    from formcheck.synth.runner import RunnerSpec

    out = tmp_path_factory.mktemp("clips")
    base = RunnerSpec(duration_s=4.0, fps=30.0, width=480, height=360, runner_height_px=290.0)
    specs = {
        "before_forward_head.mp4": replace(base, facing="right", head_forward_deg=28.0, body_lean_deg=4.0,
                                           head_pitch_deg=8.0, cadence_spm=168.0, seed=1),
        "after_clean.mp4": replace(base, facing="right", head_forward_deg=2.0, body_lean_deg=5.0,
                                   cadence_spm=176.0, seed=2),
    }
    for name, spec in specs.items():
        render_clip(spec, out / name)
    return {name: out / name for name in specs}


@pytest.fixture(scope="module")
def driver():
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("chromium and chromedriver are not installed (make test installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="formcheck-chromium-")
    downloads = tempfile.mkdtemp(prefix="formcheck-downloads-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--autoplay-policy=no-user-gesture-required",
                f"--user-data-dir={profile}", "--window-size=1280,1000"):
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {"download.default_directory": downloads,
                                           "download.prompt_for_download": False})
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    drv.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    drv.downloads = Path(downloads)
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)
        shutil.rmtree(downloads, ignore_errors=True)




def _console_errors(drv) -> list[str]:
    return [e["message"] for e in drv.get_log("browser") if e["level"] == "SEVERE"]


def test_upload_follow_read_compare_download(clips: dict[str, Path], driver, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    shots = Path(os.environ.get("FORMCHECK_SCREENSHOTS", tmp_path / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    config = WebConfig(library=tmp_path / "library" / "library.sqlite", workers=2, settings=Settings())
    errors: list[str] = []
    with serve(config) as srv:
        d = driver
        # ---- upload two clips at once -------------------------------------------
        d.get(srv.base + "/upload")
        d.find_element(By.ID, "athlete").send_keys(ATHLETE)
        # a date input's typing order follows the locale; set the value itself
        d.execute_script("arguments[0].value = '2026-03-02'", d.find_element(By.ID, "date"))
        d.find_element(By.ID, "notes").send_keys("treadmill 12 km/h")
        # a file that is not a video: a clear message on the page, nothing stored
        bad = tmp_path / "not_a_clip.mp4"
        bad.write_text("holiday notes, not a video\n" * 50)
        d.find_element(By.ID, "files").send_keys(str(bad))
        failed = wait_until(lambda: d.find_elements(By.CSS_SELECTOR, "#queue .job-state.failed"), 30,
                       "the refusal of a non-video file")
        assert failed[0].text.startswith("failed: not_a_clip.mp4: not a video formcheck can read")
        assert not list((tmp_path / "library" / "clips").iterdir())
        d.find_element(By.ID, "files").send_keys("\n".join(str(p) for p in clips.values()))
        rows = lambda: d.find_elements(By.CSS_SELECTOR, "#queue li.job[data-job]")  # noqa: E731
        wait_until(lambda: len(rows()) == 2, 60, "both uploads accepted")
        job_ids = sorted(li.get_attribute("data-job") for li in rows())
        # the page survives a reload: the jobs come back from the server with their bars
        d.refresh()
        wait_until(lambda: sorted(li.get_attribute("data-job") for li in rows()) == job_ids, 30,
              "the jobs listed again after a reload")
        seen: dict[str, list[int]] = {j: [] for j in job_ids}

        def all_done() -> bool:
            done = 0
            for li in rows():
                jid = li.get_attribute("data-job")
                state = li.get_attribute("data-state")
                assert state != "failed", li.text
                value = int(li.find_element(By.TAG_NAME, "progress").get_attribute("value"))
                seen[jid].append(value)
                done += state == "done"
            return done == 2

        wait_until(all_done, 600, "both analyses to finish", interval=0.3)
        for jid, values in seen.items():
            assert values == sorted(values), f"progress went backwards for {jid}: {values}"
            assert values[-1] == 100
        assert all("done (100 %)" in li.text for li in rows())
        d.save_screenshot(str(shots / "upload.png"))
        errors += _console_errors(d)

        # ---- the session page ----------------------------------------------------
        sessions = {s.clip_name: s for s in srv.web.library.sessions(ATHLETE)}
        assert set(sessions) == set(clips)
        assert {s.date for s in sessions.values()} == {"2026-03-02"}
        before, after = sessions["before_forward_head.mp4"], sessions["after_clean.mp4"]
        link = next(li for li in rows() if "before_forward_head" in li.text)
        link.find_element(By.CSS_SELECTOR, "a.open-session").click()
        wait_until(lambda: d.current_url.endswith(f"/sessions/{before.id}"), 20, "the session page")
        wait_until(lambda: d.find_element(By.ID, "timeline").get_attribute("data-ready") == "1", 20,
              "the timeline")
        ready = "return document.getElementById('video').readyState"
        wait_until(lambda: d.execute_script(ready) >= 2, 30, "the video to load")
        fps = float(d.find_element(By.ID, "video").get_attribute("data-fps"))
        assert d.find_elements(By.CSS_SELECTOR, "#timeline rect.band"), "no norm bands drawn"
        assert len(d.find_elements(By.CSS_SELECTOR, "#timeline line.step-mark")) >= 5
        d.save_screenshot(str(shots / "session.png"))

        # play: the cursor follows the video
        cursor_x = lambda: float(d.find_element(By.ID, "cursor").get_attribute("x1"))  # noqa: E731
        x0 = cursor_x()
        d.execute_script("document.getElementById('video').play()")
        wait_until(lambda: d.execute_script("return document.getElementById('video').currentTime") > 1.0,
              30, "the video to play")
        d.execute_script("document.getElementById('video').pause()")
        t_now = d.execute_script("return document.getElementById('video').currentTime")
        assert cursor_x() > x0 + 20
        assert abs(float(d.find_element(By.ID, "cursor").get_attribute("data-t")) - t_now) < 0.1

        # click a fault (keyboard: focus + Enter): the video lands on its evidence frame
        faults = d.find_elements(By.CSS_SELECTOR, ".fault-btn:not([disabled])")
        assert faults, "the forward-head clip shows no fault"
        summary = srv.web.library.session(before.id)
        from formcheck.web.data import faults as folder_faults

        expected = folder_faults(summary.folder)
        # each fault's badge: its severity when found, "possible" (not coloured as a
        # severity) when formcheck is not sure; the heading counts only the sure ones
        sure = [f for f in expected if f.get("status", "found") == "found"]
        heading = d.find_element(By.ID, "verdict-h").text
        assert heading.startswith(f"{len(sure)} fault" if sure else "No fault found for sure"), heading
        assert ("uncertain" in heading) == (len(sure) < len(expected)), heading
        for btn, fault in zip(faults, expected, strict=True):
            badge = btn.find_element(By.CSS_SELECTOR, ".badge")
            status = fault.get("status", "found")
            word = {"found": fault["severity"], "possible": "possible"}.get(status, "unclear")
            assert badge.text.strip().lower() == word and word in badge.get_attribute("class")
            prefix = {"possible": "Possibly", "not_measurable": "Cannot tell here"}.get(status)
            assert prefix is None or prefix in btn.text
            d.execute_script("arguments[0].focus()", btn)
            btn.send_keys(Keys.ENTER)
            wait_until(lambda: not d.execute_script("return document.getElementById('video').seeking"), 10,
                  "the seek")
            t = d.execute_script("return document.getElementById('video').currentTime")
            assert math.floor(t * fps) == fault["seek_frame"], (t, fault["evidence"]["worst"])
            assert d.execute_script("return document.getElementById('video').paused")
        d.save_screenshot(str(shots / "session_fault.png"))

        # click the timeline: the video seeks to the time under the pointer
        box = d.find_element(By.ID, "timeline")
        from selenium.webdriver import ActionChains

        width = box.size["width"]
        ActionChains(d).move_to_element_with_offset(box, int(width * 0.25), 0).click().perform()
        t_click = d.execute_script("return document.getElementById('video').currentTime")
        geom = d.execute_script(
            "const r = arguments[0].getBoundingClientRect(); const svg = arguments[0].querySelector('svg');"
            "const vb = svg.viewBox.baseVal; return [r.width, vb.width];", box)
        # 44 px left and 18 px right margin in the chart's own units (app.js)
        frac = (0.75 * geom[0] * geom[1] / geom[0] - 44) / (geom[1] - 44 - 18)
        duration = 4.0
        assert abs(t_click - frac * duration) < 2 / fps + duration * 2 / geom[1]

        # download the PDF
        d.find_element(By.LINK_TEXT, "report.pdf").click()
        pdf = wait_until(lambda: next((p for p in driver.downloads.glob("*.pdf")), None), 30, "the PDF")
        wait_until(lambda: pdf.stat().st_size > 1000, 10, "the PDF to be written")
        assert pdf.read_bytes()[:5] == b"%PDF-"
        assert pdf.name == "before_forward_head_report.pdf"
        errors += _console_errors(d)

        # ---- compare ---------------------------------------------------------------
        d.get(srv.base + "/compare")
        Select(d.find_element(By.ID, "cmp-a")).select_by_value(str(before.id))
        Select(d.find_element(By.ID, "cmp-b")).select_by_value(str(after.id))
        d.find_element(By.CSS_SELECTOR, "#compare-form button").click()
        wait_until(lambda: d.find_elements(By.ID, "compare-table"), 20, "the comparison")
        # the head 26 deg less forward in B: the CVA proxy's change is real, an improvement
        cva_row = d.find_element(By.CSS_SELECTOR, '#compare-table th[title="cva_deg"]').find_element(By.XPATH, "..")
        assert "improved" in cva_row.text
        assert "Forward head" in d.find_element(By.ID, "resolved").text
        assert "Forward head" not in d.find_element(By.ID, "new-faults").text
        d.save_screenshot(str(shots / "compare.png"))

        # ---- history and home --------------------------------------------------------
        d.get(srv.base + "/")
        assert ATHLETE in d.find_element(By.ID, "main").text
        d.save_screenshot(str(shots / "home.png"))
        d.find_element(By.LINK_TEXT, ATHLETE).click()
        wait_until(lambda: len(d.find_elements(By.CSS_SELECTOR, "#history-charts svg")) >= 3, 20, "history charts")
        d.save_screenshot(str(shots / "history.png"))
        errors += _console_errors(d)

        # ---- a phone-sized screen: nothing wider than the screen ---------------------
        d.set_window_size(390, 844)
        for path in ("/", "/upload", f"/sessions/{before.id}", f"/compare?a={before.id}&b={after.id}"):
            d.get(srv.base + path)
            time.sleep(0.5)
            overflow = d.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{path} is {overflow} px wider than a phone screen"
        d.save_screenshot(str(shots / "session_phone.png"))
        d.set_window_size(1280, 1000)
        errors += _console_errors(d)
    # Chromium logs every 4xx answer as a console error: the one refused upload above is
    # expected (exactly once); nothing else may appear.
    refused = [e for e in errors if "/api/uploads" in e and "status of 415" in e]
    assert len(refused) == 1, errors
    assert [e for e in errors if e not in refused] == []
