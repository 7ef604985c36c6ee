"""Promotion day in Debian's headless Chromium, by keyboard only: search, tick a repeater, preview, confirm,
see the classes, a class list as printed, the student's years, undo; axe-core finds no WCAG A/AA violation
on any of those pages (tests/vendor/axe.min.js, as in test_platform_browser.py)."""

import datetime
import uuid

import pytest

from School.accounts.groups import SCHOOL_ADMINS
from School.context import current_alias, tenant_context
from School.models import Student
from School.school_year.calendar import set_year
from School.school_year.ladder import set_ladder
from School.school_year.models import CarriedEnrolment, SchoolYear
from tests.people_helpers import member
from tests.test_browser import browser, pytestmark, school_url, sign_in, step  # noqa: F401
from tests.test_platform_browser import axe_violations
from tests.test_school_year import NEXT, THIS_YEAR, secondary  # noqa: F401

pytestmark = [pytestmark, pytest.mark.sqlite]


def press(driver, element, key):
    """Focus `element` and press `key` (Enter on a button submits its form), then wait for the next page."""
    from selenium.webdriver.support.ui import WebDriverWait

    old_page = driver.find_element("tag name", "html")
    element.send_keys(key)
    WebDriverWait(driver, 15).until(lambda d: d.find_element("tag name", "html").id != old_page.id)


def test_promotion_day_by_keyboard_with_no_axe_violation(secondary, live_server_url, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    with tenant_context("nairobi"):
        set_year(current_alias(), NEXT, datetime.date(int(NEXT), 1, 10), datetime.date(int(NEXT), 11, 30))
        set_ladder(current_alias(), ["Form 1", "Form 2", "Form 3", "Form 4"], ["Form 4"])
        repeater = Student.objects.get(registration_no="F1-00").pk
    member("nairobi", "amina", SCHOOL_ADMINS)
    nairobi = lambda path: school_url(live_server_url, "nairobi.localhost", path)  # noqa: E731

    with step(browser, "year-1-promotion-page"):
        sign_in(browser, nairobi("/admin/login/"), "amina")
        browser.get(nairobi("/school-year/promotion/"))
        assert browser.find_element(By.ID, "year-to-close").text == str(THIS_YEAR)
        assert axe_violations(browser) == []

    with step(browser, "year-2-search-tick-preview"):
        press(browser, browser.find_element(By.ID, "q"), "F1-00" + Keys.ENTER)
        box = browser.find_element(By.CSS_SELECTOR, "input[name=repeat][value='F1-00']")
        box.send_keys(Keys.SPACE)
        assert box.is_selected()
        press(browser, browser.find_element(By.ID, "show-preview"), Keys.ENTER)
        first = browser.find_element(By.CSS_SELECTOR, "#preview tbody tr").text
        assert first.split() == ["Form", "1", "—", "5", "to", "Form", "2", "0", "1", "0"]
        assert axe_violations(browser) == []

    with step(browser, "year-3-confirm"):
        press(browser, browser.find_element(By.ID, "confirm-promotion"), Keys.ENTER)
        message = browser.find_element(By.CLASS_NAME, "messages").text
        assert f"Promoted from {THIS_YEAR} into {NEXT}: 16 promoted, 5 graduating, 1 repeating, 0 leaving." in message
        assert axe_violations(browser) == []

    with step(browser, "year-4-classes-and-a-printed-list"):
        browser.get(nairobi("/classes/"))
        assert axe_violations(browser) == []
        press(browser, browser.find_element(By.LINK_TEXT, "Form 2"), Keys.ENTER)
        assert browser.find_element(By.ID, "class-size").text == "5"  # Form 1 but its repeater
        assert axe_violations(browser) == []
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        # The printed list keeps the school's header (name, logo, colours; issue 37), not its links.
        assert browser.find_element(By.CLASS_NAME, "masthead").is_displayed()
        assert not browser.find_element(By.CSS_SELECTOR, ".masthead nav").is_displayed()
        assert browser.find_element(By.ID, "class-students").is_displayed()
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})

    with step(browser, "year-5-student-years-and-ladder"):
        with tenant_context("nairobi"):  # as a transfer from an earlier school leaves it
            CarriedEnrolment.objects.create(student_id=repeater, transfer_key=uuid.uuid4(), position=0, school="Kisumu Primary",
                                            year=str(THIS_YEAR - 1), grade="Std 8", outcome="transferred")
        browser.get(nairobi(f"/students/{repeater}/"))
        years = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "#student-history tbody tr")]
        assert len(years) == 2 and years[0].endswith("Repeated") and years[1].endswith("Still enrolled")
        earlier = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "#earlier-schools tbody tr")]
        assert len(earlier) == 1 and earlier[0].startswith(f"Kisumu Primary {THIS_YEAR - 1} Std 8")
        assert axe_violations(browser) == []
        browser.get(nairobi("/school-year/grades/"))
        assert axe_violations(browser) == []

    with step(browser, "year-6-undo"):
        browser.get(nairobi("/school-year/promotion/"))
        press(browser, browser.find_element(By.ID, "undo-promotion"), Keys.ENTER)
        assert f"The promotion into {NEXT} was undone: 22 students" in browser.find_element(By.CLASS_NAME, "messages").text
        with tenant_context("nairobi"):
            assert SchoolYear.objects.get(is_current=True).name == str(THIS_YEAR)
