"""The pages issue 33 changed, in Debian's headless Chromium: the student table's sex filter and a student's page
with its sex and guardians, each with no WCAG A/AA violation that axe-core finds (in French: translated labels)."""

import pytest
from django.contrib.auth import get_user_model

from School.context import tenant_context
from School.models import Student
from tests.student_rows import give_guardian
from tests.test_browser import PASSWORD, have_browser, school_url, sign_in, start_chromium, step, submit_and_wait
from tests.test_identity_sex import set_language
from tests.test_platform_browser import axe_violations

pytestmark = pytest.mark.skipif(not have_browser, reason="Debian's chromium and chromium-driver are not installed")


def test_the_sex_filter_and_a_students_guardians_pass_axe(three_schools, live_server_url, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    set_language("nairobi", "fr")
    with tenant_context("nairobi"):
        get_user_model().objects.create_superuser("head", "", PASSWORD)
        Student.objects.filter(registration_no="NBI-0001").update(sex="female")
        pk = Student.objects.get(registration_no="NBI-0001").pk
    give_guardian("nairobi", "NBI-0001", "Mary Kamau", "+254 712 345678", "mary@x.test", emergency_contact=True)
    driver = start_chromium(tmp_path)
    try:
        with step(driver, "identity-1-table"):
            sign_in(driver, school_url(live_server_url, "nairobi.localhost", "/admin/login/?next=/"), "head")
            Select(driver.find_element(By.NAME, "sex")).select_by_visible_text("Féminin")
            submit_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "form.search button"))
            assert "1 élève" in driver.find_element(By.ID, "student-count").text
            assert axe_violations(driver) == []
        with step(driver, "identity-2-student"):
            driver.get(school_url(live_server_url, "nairobi.localhost", f"/students/{pk}/"))
            assert driver.find_element(By.ID, "sex").text == "Féminin"
            guardians = driver.find_element(By.ID, "guardians").text
            assert "Mary Kamau" in guardians and "+254 712 345678" in guardians and "contact d'urgence" in guardians
            assert axe_violations(driver) == []
    finally:
        driver.quit()
