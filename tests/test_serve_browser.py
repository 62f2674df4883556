"""The page of ``tf1-course serve`` in a real browser: Debian's headless Chromium driven by Selenium
through Debian's chromedriver (no driver is downloaded; .ci/run installs both with apt-get).

Six SIGNS test photos are uploaded one at a time and each predicted sign is read from the page:
each must be what ``tf1-course predict`` says. A file that is not an image must show the server's
one-line error. Any error in the browser's console fails the test, except the one network line
Chromium logs for that deliberate 400.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from test_serve_api import predict_json, signs_photos
from tf1_course.data import bundle

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def start_chromium(extra_flags=()):
    """(driver, profile folder) of a headless Chromium through Debian's chromedriver."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser test: apt-get install chromium chromium-driver (.ci/run does)")
        pytest.skip("no Debian chromium/chromium-driver here (apt-get install chromium chromium-driver)")
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager: never download a driver or a browser
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="tf1-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS + [f"--user-data-dir={profile}", "--window-size=1280,860", *extra_flags]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options), profile


@pytest.fixture(scope="module")
def browser():
    driver, profile = start_chromium()
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver, condition, timeout=30):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: condition())


def by_id(driver, name):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, name)


def upload(driver, path, count):
    """Choose ``path`` in the file input and wait for the page's ``count``-th answer."""
    by_id(driver, "photo").send_keys(str(path))
    body = driver.find_element("tag name", "body")
    wait_for(driver, lambda: body.get_attribute("data-results") == str(count))
    return body.get_attribute("data-state")


def test_the_page_in_chromium_shows_what_predict_says(browser, live_server, trained_run, tmp_path, capsys):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    photos = signs_photos()
    expected = predict_json(trained_run, photos, capsys)
    browser.get(live_server.url)
    wait_for(browser, lambda: by_id(browser, "model").text.startswith("Model: run "))
    # no camera on this machine (a headless browser has none): the page says so
    wait_for(browser, lambda: "No camera found" in by_id(browser, "camera-status").text)
    assert not by_id(browser, "start-camera").is_enabled()
    ActionChains(browser).send_keys(Keys.TAB).perform()  # the keyboard reaches the upload first
    assert browser.switch_to.active_element.get_attribute("id") == "photo"

    for k, (path, want) in enumerate(zip(photos, expected), start=1):
        assert upload(browser, path, k) == "done"
        sign = by_id(browser, "sign")
        assert sign.get_attribute("data-sign") == str(want["prediction"]), path.name
        assert sign.text.startswith(f"{want['prediction']} (")
        shown = [v.text for v in browser.find_elements(By.CSS_SELECTOR, "#bars .value")]
        assert shown == [f"{p:.3f}" for p in want["probabilities"]], path.name
        seen = by_id(browser, "seen")
        assert seen.is_displayed() and seen.get_attribute("src").startswith("data:image/png;base64,")
        assert browser.execute_script("return arguments[0].naturalWidth", seen) == 64
    assert not by_id(browser, "error").is_displayed()
    if os.environ.get("TF1_COURSE_SCREENSHOT"):  # docs/img/serve.png is made this way (docs/serving.md)
        browser.save_screenshot(os.environ["TF1_COURSE_SCREENSHOT"])

    not_an_image = tmp_path / "notes.txt"
    not_an_image.write_text("this is not a photo\n")
    assert upload(browser, not_an_image, len(photos) + 1) == "error"
    error = by_id(browser, "error")
    assert error.is_displayed()
    assert error.text == "notes.txt: not an image Pillow can read"  # the server's one line, as it is
    assert by_id(browser, "sign").get_attribute("data-sign") == ""
    # over the server's limit (1 MB here; the phone photo is 1.01 MB): said before anything is sent
    assert upload(browser, bundle.photo(), len(photos) + 2) == "error"
    assert "over the server's limit of 1 MB" in by_id(browser, "error").text

    # readable on a phone: a 390 px wide phone lays the page out at its own width (the viewport meta;
    # without it a phone lays it out 980 px wide and shrinks it), and nothing sticks out sideways
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True})
    width, scroll = browser.execute_script("return [window.innerWidth, document.documentElement.scrollWidth]")
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert width == 390 and scroll <= width, (width, scroll)

    logs = browser.get_log("browser")
    deliberate = [e for e in logs if e["source"] == "network" and "/api/predict" in e["message"]
                  and "status of 400" in e["message"]]
    assert len(deliberate) == 1, logs  # Chromium logs the 400 of the non-image upload
    errors = [e for e in logs if e["level"] == "SEVERE" and e not in deliberate]
    assert errors == [], errors


def test_the_console_check_catches_a_script_error(browser, live_server):
    """The console is really read: an error thrown on the page shows up in it."""
    browser.get(live_server.url)
    browser.execute_script("setTimeout(() => { throw new Error('deliberate page error'); }, 0)")
    logs = []

    def logged():
        logs.extend(browser.get_log("browser"))
        return any("deliberate page error" in e["message"] and e["level"] == "SEVERE" for e in logs)

    assert wait_for(browser, logged, timeout=10), logs


def test_the_webcam_path_with_chromiums_fake_camera(live_server):
    """Start the camera, take a photo, get an answer: Chromium's built-in fake camera (a test
    pattern) and an automatic yes to the permission prompt stand in for a webcam and a user."""
    driver, profile = start_chromium(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"])
    try:
        driver.get(live_server.url)
        wait_for(driver, lambda: by_id(driver, "model").text.startswith("Model:"))
        assert by_id(driver, "camera-status").text == ""  # a camera is there: no "No camera found"
        by_id(driver, "start-camera").click()
        wait_for(driver, lambda: by_id(driver, "snap").is_enabled())
        assert by_id(driver, "video").is_displayed()
        wait_for(driver, lambda: driver.execute_script("return document.getElementById('video').videoWidth") > 0)
        by_id(driver, "snap").click()
        body = driver.find_element("tag name", "body")
        wait_for(driver, lambda: body.get_attribute("data-results") == "1")
        assert body.get_attribute("data-state") == "done", by_id(driver, "error").text
        assert by_id(driver, "sign").get_attribute("data-sign") in {str(k) for k in range(6)}
        assert "camera photo" in by_id(driver, "status").text
        by_id(driver, "stop-camera").click()
        assert not by_id(driver, "video").is_displayed() and by_id(driver, "start-camera").is_enabled()
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == [], errors
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
