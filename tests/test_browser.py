"""End to end in a real browser: Debian's headless Chromium against a real HTTP server.

Needs /usr/bin/chromium and /usr/bin/chromedriver (`.ci/run` installs them
with apt). Outside CI the test is skipped when they are missing; in CI it
fails instead. A failing step leaves a screenshot in tests/artifacts/.
"""

import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from School.context import tenant_context
from tests.student_rows import ROW_COLUMNS

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PASSWORD = "correct-horse-battery"

have_browser = all(os.access(path, os.X_OK) for path in (CHROMIUM, CHROMEDRIVER))
if not have_browser and os.environ.get("CI"):
    raise RuntimeError("CI must install chromium and chromium-driver (see .ci/run)")
pytestmark = pytest.mark.skipif(not have_browser, reason="Debian's chromium and chromium-driver are not installed")


def start_chromium(folder, javascript=True, console_log=False):
    """Debian's headless Chromium under selenium, with its profile in `folder`."""
    os.environ["SE_OFFLINE"] = "true"  # selenium must never fetch a driver or browser
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1200,900", f"--user-data-dir={folder / 'chromium'}",
        # Every school host is this machine, whatever the resolver says.
        "--host-resolver-rules=MAP *.localhost 127.0.0.1, MAP localhost 127.0.0.1",
    ):
        options.add_argument(argument)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    if console_log:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    return driver


@pytest.fixture
def browser(tmp_path):
    driver = start_chromium(tmp_path)
    yield driver
    driver.quit()


@contextmanager
def step(driver, name):
    """Run one step; keep a screenshot of the page if it fails."""
    try:
        yield
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
        (ARTIFACTS / f"{name}.html").write_text(driver.page_source)
        raise


def school_url(live_server_url, host, path="/"):
    return f"http://{host}:{live_server_url.rsplit(':', 1)[1]}{path}"


def submit_and_wait(driver, element):
    """Submit a form and wait until the browser shows the page that answers it."""
    from selenium.webdriver.support.ui import WebDriverWait

    old_page = driver.find_element("tag name", "html")
    element.submit() if element.tag_name == "input" and element.get_attribute("type") != "submit" else element.click()
    WebDriverWait(driver, 15).until(lambda d: d.find_element("tag name", "html").id != old_page.id)


def sign_in(driver, url, username):
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(url)
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    submit_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "input[type=submit], button[type=submit]"))


def test_registrar_journey_across_two_schools(three_schools, live_server_url, browser, tmp_path):
    from selenium.webdriver.common.by import By

    with tenant_context("accra"):
        get_user_model().objects.create_superuser("ama", "ama@accra.test", PASSWORD)
    nairobi = lambda path="/": school_url(live_server_url, "nairobi.localhost", path)  # noqa: E731
    accra = lambda path="/": school_url(live_server_url, "accra.localhost", path)  # noqa: E731

    def registration_numbers():
        return [row.find_elements(By.TAG_NAME, "td")[2].text for row in browser.find_elements(By.CSS_SELECTOR, "#students tbody tr")]

    with step(browser, "1-student-tables"):
        browser.get(nairobi())
        assert browser.title == "Students · Nairobi School"
        assert registration_numbers() == [f"NBI-{n:04d}" for n in range(5)]
        browser.get(accra())
        assert browser.title == "Students · Accra Academy"
        assert registration_numbers() == [f"ACC-{n:04d}" for n in range(7)]

    with step(browser, "2-search"):
        browser.get(nairobi())
        box = browser.find_element(By.NAME, "q")
        box.send_keys("NBIfirst3")
        submit_and_wait(browser, box)
        assert registration_numbers() == ["NBI-0003"]
        assert "1 student matching" in browser.find_element(By.ID, "student-count").text

    with step(browser, "3-admin-sign-in-per-school"):
        sign_in(browser, accra("/admin/login/"), "ama")
        assert "Accra Academy administration" in browser.find_element(By.ID, "site-name").text
        sign_in(browser, nairobi("/admin/login/"), "ama")
        assert "Please enter the correct username and password" in browser.find_element(By.CLASS_NAME, "errornote").text

    with step(browser, "4-import-with-a-bad-row"):
        bad = tmp_path / "students.csv"
        bad.write_text(f"{','.join(ROW_COLUMNS)}\nACC/9/1,Efua,Quaye,,Form 1,,,,\nACC/9/2,Kojo,Mensah,2012-02-31,Form 1,,,,\n")
        sign_in(browser, accra("/admin/login/"), "ama")
        browser.get(accra("/students/import/"))
        browser.find_element(By.NAME, "file").send_keys(str(bad))
        submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#upload-form button[type=submit]"))
        summary = browser.find_element(By.ID, "import-errors-summary").text
        assert "Nothing will be imported: 1 of 2 rows have errors." in summary
        error_row = browser.find_element(By.CSS_SELECTOR, "#import-errors tbody tr").text
        assert error_row.startswith("3 ACC/9/2") and "bad date '2012-02-31'" in error_row
        browser.get(accra("/?q=ACC/9"))
        assert registration_numbers() == []


    with step(browser, "5-sign-out"):
        sign_out = browser.find_element(By.CSS_SELECTOR, "#sign-out button[type=submit]")
        submit_and_wait(browser, sign_out)
        assert browser.current_url == accra("/accounts/login/")
        assert browser.find_element(By.ID, "sign-in")
        browser.get(accra("/students/import/"))
        assert browser.current_url.startswith(accra("/admin/login/"))  # signed out: the staff page asks again
