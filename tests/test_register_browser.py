"""The register in Debian's headless Chromium on a 360 px wide window, by keyboard only: a teacher marks two
students and saves; the Today page then names them; axe-core finds no WCAG A/AA violation on either page."""

import pytest

from School.context import tenant_context
from School.register.codes import ABSENT, LATE
from School.register.models import Mark
from tests.register_world import register_school
from tests.test_browser import browser, pytestmark, school_url, sign_in, step, submit_and_wait  # noqa: F401
from tests.test_school_year_browser import axe_violations, press

pytestmark = [pytestmark, pytest.mark.sqlite]


def fits(driver):
    return driver.execute_script("return document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_a_register_taken_on_a_phone_by_keyboard_with_no_axe_violation(platform, live_server_url, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    register_school(platform)
    nairobi = lambda path: school_url(live_server_url, "nairobi.localhost", path)  # noqa: E731
    browser.set_window_size(360, 780)

    with step(browser, "register-1-open"):
        sign_in(browser, nairobi("/accounts/login/"), "mwalimu")
        browser.get(nairobi("/register/"))
        press(browser, browser.find_element(By.LINK_TEXT, "Form 1 East"), Keys.ENTER)
        assert "Not taken yet" in browser.find_element(By.ID, "register-state").text
        assert fits(browser) and axe_violations(browser) == []

    with step(browser, "register-2-mark-by-keyboard-and-save"):
        # In a radio group the arrow keys move the mark: Present -> Late -> Absent.
        browser.find_element(By.CSS_SELECTOR, "input[name='mark-E-01'][value=present]").send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
        browser.find_element(By.CSS_SELECTOR, "input[name='mark-E-02'][value=present]").send_keys(Keys.ARROW_RIGHT)
        # Tapping a name cycles its mark (the page's small script, served from the school's own host).
        legend = browser.find_element(By.CSS_SELECTOR, "#student-E-03 legend")
        legend.click()
        legend.click()
        assert browser.find_element(By.CSS_SELECTOR, "input[name='mark-E-03'][value='absent-unexcused']").is_selected()
        legend.click()
        legend.click()
        legend.click()
        assert browser.find_element(By.CSS_SELECTOR, "input[name='mark-E-03'][value=present]").is_selected()
        press(browser, browser.find_element(By.ID, "register-save"), Keys.ENTER)
        assert "Register saved." in browser.find_element(By.CLASS_NAME, "messages").text
        assert browser.find_element(By.CSS_SELECTOR, "input[name='mark-E-01'][value='absent-unexcused']").is_selected()
        with tenant_context("nairobi"):
            assert sorted(Mark.objects.values_list("student__registration_no", "code")) == [("E-01", ABSENT), ("E-02", LATE)]
        assert fits(browser) and axe_violations(browser) == []

    with step(browser, "register-3-today"):
        sign_in(browser, nairobi("/accounts/login/"), "wanjiru")
        browser.get(nairobi("/register/today/"))
        assert "FirstE-01 LastE-01" in browser.find_element(By.ID, "absent-today").text
        assert "Form 1 West" in browser.find_element(By.ID, "registers-missing").text
        assert fits(browser) and axe_violations(browser) == []

    with step(browser, "register-4-class-sheet"):
        browser.set_window_size(1200, 900)
        browser.get(nairobi("/register/sheet/?class=Form+1+East"))
        assert "FirstE-01 LastE-01" in browser.find_element(By.ID, "sheet-grid").text
        assert axe_violations(browser) == []


def test_the_register_settings_and_group_pages_have_no_axe_violation(platform, live_server_url, browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    register_school(platform)
    browser.set_window_size(360, 780)
    with step(browser, "register-settings"):
        sign_in(browser, school_url(live_server_url, "nairobi.localhost", "/accounts/login/"), "amina")
        browser.get(school_url(live_server_url, "nairobi.localhost", "/register/settings/"))
        browser.find_element(By.ID, "absence_mails").click()
        submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#register-settings button[type=submit]"))
        assert "The register settings were saved." in browser.find_element(By.CLASS_NAME, "messages").text
        assert fits(browser) and axe_violations(browser) == []

    with step(browser, "register-groups"):
        # A School admin makes a trip's group, ticks a class's students into it, and takes its register.
        browser.get(school_url(live_server_url, "nairobi.localhost", "/register/groups/"))
        browser.find_element(By.ID, "group-name").send_keys("Museum trip")
        submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#group-add button[type=submit]"))
        assert fits(browser) and axe_violations(browser) == []
        browser.find_element(By.ID, "group-q").send_keys("Form 1 West")
        submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#group-search button[type=submit]"))
        assert fits(browser) and axe_violations(browser) == []
        submit_and_wait(browser, browser.find_element(By.ID, "group-add-ticked"))
        assert "2 added" in browser.find_element(By.CLASS_NAME, "messages").text
        browser.get(school_url(live_server_url, "nairobi.localhost", "/register/?group=Museum+trip"))
        assert browser.find_element(By.ID, "group-register-note") and fits(browser) and axe_violations(browser) == []
