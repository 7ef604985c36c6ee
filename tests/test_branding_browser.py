"""Branding in a real browser (issue 37): a school admin sets it, the pages draw it, axe-core finds nothing."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from School.branding import looks
from School.context import tenant_context
from tests.test_branding import png
from tests.test_browser import PASSWORD, have_browser, school_url, sign_in, start_chromium, step, submit_and_wait
from tests.test_platform_browser import axe_violations

pytestmark = pytest.mark.skipif(not have_browser, reason="Debian's chromium and chromium-driver are not installed")


def logo_drawn(driver):
    return driver.execute_script(
        "return [...document.querySelectorAll('img.brand-logo')].filter(i => i.complete && i.naturalWidth > 0).length"
    )


def test_a_school_admin_brands_the_school_in_chromium_and_every_page_passes_axe(three_schools, live_server_url, tmp_path):
    from selenium.webdriver.common.by import By

    looks.forget()
    with tenant_context("nairobi"):
        user = get_user_model().objects.create_user("mwalimu", "mwalimu@school.test", PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name="School admins"))
    crest = tmp_path / "crest.png"
    crest.write_bytes(png(size=(600, 200)))
    driver = start_chromium(tmp_path, console_log=True)
    try:
        with step(driver, "branding-1-page"):
            sign_in(driver, school_url(live_server_url, "nairobi.localhost", "/admin/login/?next=/admin/"), "mwalimu")
            submit_and_wait(driver, driver.find_element(By.PARTIAL_LINK_TEXT, "The school's branding"))
            assert driver.find_element(By.TAG_NAME, "h1").text == "The school's branding"
            assert axe_violations(driver) == []
        with step(driver, "branding-2-refused"):
            driver.execute_script("document.getElementById('primary').value = '#777777';"
                                  "document.getElementById('accent').value = '#ffffff';")
            driver.find_element(By.NAME, "platform_colours").click()  # checked while the platform's look is kept
            submit_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "#branding-form button[type=submit]"))
            assert "under the 4.5:1" in driver.find_element(By.ID, "branding-error").text
            assert axe_violations(driver) == []
        with step(driver, "branding-3-saved"):
            assert not driver.find_element(By.NAME, "platform_colours").is_selected()  # as it was sent
            driver.execute_script("document.getElementById('primary').value = '#1a5e20';")
            driver.find_element(By.ID, "logo").send_keys(str(crest))
            driver.find_element(By.ID, "welcome_en").send_keys("Karibu: staff of Nairobi School sign in here.")
            submit_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "#branding-form button[type=submit]"))
            assert "The branding was saved." in driver.page_source
            assert logo_drawn(driver) == 2  # the header's, and the page's own "the logo now"
            header = driver.find_element(By.CSS_SELECTOR, ".masthead")
            assert header.value_of_css_property("background-color") == "rgba(26, 94, 32, 1)"
            assert axe_violations(driver) == []
        with step(driver, "branding-4-table"):
            driver.get(school_url(live_server_url, "nairobi.localhost", "/"))
            assert logo_drawn(driver) == 1 and axe_violations(driver) == []
        with step(driver, "branding-5-sign-in"):
            driver.delete_all_cookies()
            driver.get(school_url(live_server_url, "nairobi.localhost", "/accounts/login/"))
            assert driver.find_element(By.ID, "welcome").text == "Karibu: staff of Nairobi School sign in here."
            assert logo_drawn(driver) == 1 and axe_violations(driver) == []
            driver.get(school_url(live_server_url, "nairobi.localhost", "/admin/login/"))
            assert logo_drawn(driver) == 1
            assert driver.find_element(By.CSS_SELECTOR, "#header").value_of_css_property("background-color") == "rgba(26, 94, 32, 1)"
            assert driver.find_element(By.LINK_TEXT, "Forgotten your login credentials?").get_attribute("href").endswith(
                "/accounts/password-reset/")
            console = [entry["message"] for entry in driver.get_log("browser")]
            assert not [line for line in console if "Content Security Policy" in line or "Refused" in line], console
    finally:
        driver.quit()
        looks.forget()
