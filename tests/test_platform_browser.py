"""The platform dashboard in Debian's headless Chromium (issue 24): charts shown under the CSP, with and without
JavaScript, and axe-core (tests/vendor/axe.min.js, axe-core 4.11.0, MPL-2.0) finds no WCAG A/AA violation.
"""

import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from School.context import tenant_context
from School.platform import dashboard
from School.platform.figures import recount
from School.platform.models import SchoolFigures
from tests.test_browser import PASSWORD, have_browser, school_url, sign_in, start_chromium, step, submit_and_wait

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
CHARTS = 9  # the figures' five and the ministry's numbers' four (School/indicators/charts.py)
pytestmark = pytest.mark.skipif(not have_browser, reason="Debian's chromium and chromium-driver are not installed")


@pytest.fixture
def operator(three_schools):
    for name in ("default", "nairobi", "accra"):
        recount(name)
    # As a promotion leaves them (these schools' students have no enrolments): the table by grade is shown too.
    SchoolFigures.objects.using("default").update(current_year="2027", by_year={"2027": {"Form 1": 4, "Form 2": 3}})
    dashboard.forget()
    with tenant_context("default"):
        get_user_model().objects.create_superuser("operator", "", PASSWORD)
    yield three_schools
    dashboard.forget()


def axe_violations(driver):
    """[rule, [where]] of every WCAG 2.1 A/AA violation axe-core finds on the page the browser shows."""
    driver.execute_script(AXE.read_text())
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
        ".then(r => done(JSON.stringify(r.violations.map(v => [v.id, v.nodes.map(n => n.target)]))));"
    )
    return json.loads(result)


def charts_drawn(driver):
    """How many of the page's chart images the browser loaded and drew."""
    return driver.execute_script(
        "return [...document.querySelectorAll('figure.chart img')].filter(i => i.complete && i.naturalWidth > 0).length"
    )


def test_dashboard_in_chromium_draws_every_chart_breaks_no_csp_and_passes_axe(operator, live_server_url, tmp_path):
    from selenium.webdriver.common.by import By

    driver = start_chromium(tmp_path, console_log=True)
    try:
        with step(driver, "platform-1-sign-in"):
            sign_in(driver, school_url(live_server_url, "localhost", "/admin/login/?next=/admin/"), "operator")
            submit_and_wait(driver, driver.find_element(By.LINK_TEXT, "Platform dashboard: figures, charts and health of every school"))
            assert driver.find_element(By.TAG_NAME, "h1").text == "Platform dashboard"
        with step(driver, "platform-2-charts"):
            assert charts_drawn(driver) == CHARTS
            console = [entry["message"] for entry in driver.get_log("browser")]
            assert not [line for line in console if "Content Security Policy" in line or "Refused" in line], console
            captions = [element.text for element in driver.find_elements(By.CSS_SELECTOR, "figure.chart table caption")]
            assert len(captions) == CHARTS and all("data of the chart" in text for text in captions)
        with step(driver, "platform-3-axe"):
            assert driver.find_elements(By.CSS_SELECTOR, "#enrolments-by-grade tbody tr")  # checked by axe too
            assert axe_violations(driver) == []
    finally:
        driver.quit()


def test_dashboard_works_with_javascript_off(operator, live_server_url, tmp_path):
    from selenium.webdriver.common.by import By

    driver = start_chromium(tmp_path, javascript=False)
    try:
        with step(driver, "platform-nojs"):
            sign_in(driver, school_url(live_server_url, "localhost", "/admin/login/?next=/platform/"), "operator")
            assert driver.find_element(By.TAG_NAME, "h1").text == "Platform dashboard"
            images = driver.find_elements(By.CSS_SELECTOR, "figure.chart img")
            assert len(images) == CHARTS
            assert all(image.size["width"] > 100 and image.size["height"] > 50 for image in images)
            # The health table's actions are plain forms.
            assert driver.find_elements(By.CSS_SELECTOR, "#health-section form button")
    finally:
        driver.quit()


@pytest.fixture
def ministry(platform):
    from tests.indicators_world import build

    build(platform)
    platform.add_school("default", ["localhost", "127.0.0.1"], "Platform")
    dashboard.forget()
    with tenant_context("default"):
        get_user_model().objects.create_superuser("operator", "", PASSWORD)
    yield platform
    dashboard.forget()


def test_the_ministrys_numbers_with_data_draw_their_charts_and_pass_axe(ministry, live_server_url, tmp_path):
    """The rates, parity, ages and absence of two hand-built years (tests/indicators_world.py), filled tables and all."""
    from selenium.webdriver.common.by import By

    driver = start_chromium(tmp_path)
    try:
        with step(driver, "platform-indicators-axe"):
            sign_in(driver, school_url(live_server_url, "localhost", "/admin/login/?next=/platform/"), "operator")
            section = driver.find_element(By.ID, "indicators-section")
            rows = [row.text for row in section.find_elements(By.CSS_SELECTOR, "tbody tr th[scope=row]")]
            assert "P1" in rows and "alpha" in rows  # the rates' table by grade and the absence by school are filled
            assert charts_drawn(driver) == CHARTS
            assert axe_violations(driver) == []
    finally:
        driver.quit()
