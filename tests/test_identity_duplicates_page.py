"""The platform's page of children at more than one school (issue 33): platform staff only, in Chromium with axe-core."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from School.context import tenant_context
from School.models import Student
from School.platform.figures import recount
from tests.test_browser import have_browser, school_url, sign_in, start_chromium, step, submit_and_wait
from tests.test_identity_enrolment import BORN, amani_at_nairobi
from tests.test_platform_browser import axe_violations, operator  # noqa: F401 (fixture)


def amani_at_accra_too():
    child = amani_at_nairobi()
    with tenant_context("accra"):
        Student.objects.create(registration_no="ACC-D9", first_name="Amani", second_name="Wanjiru",
                               date_of_birth=BORN, sex="female", learner_no=child.learner_no)
    recount("accra")


def test_only_platform_staff_see_the_page_and_it_names_both_schools(operator):  # noqa: F811
    amani_at_accra_too()
    assert Client(HTTP_HOST="nairobi.localhost").get("/platform/duplicates/").status_code == 404
    anonymous = Client(HTTP_HOST="localhost").get("/platform/duplicates/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    client = Client(HTTP_HOST="localhost")
    client.force_login(get_user_model().objects.db_manager("default").get(username="operator"))
    page = client.get("/platform/duplicates/").content.decode()
    assert "certain: the same learner number" in page
    assert "accra" in page and "ACC-D9" in page and "nairobi" in page and "NBI-D1" in page


@pytest.mark.skipif(not have_browser, reason="Debian's chromium and chromium-driver are not installed")
def test_the_page_in_chromium_passes_axe(operator, live_server_url, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By

    amani_at_accra_too()
    driver = start_chromium(tmp_path)
    try:
        with step(driver, "duplicates-1"):
            sign_in(driver, school_url(live_server_url, "localhost", "/admin/login/?next=/platform/"), "operator")
            submit_and_wait(driver, driver.find_element(By.LINK_TEXT, "Children at more than one school"))
            assert driver.find_element(By.TAG_NAME, "h1").text == "Children at more than one school"
            assert "ACC-D9" in driver.find_element(By.ID, "duplicates").text
        with step(driver, "duplicates-2-axe"):
            assert axe_violations(driver) == []
    finally:
        driver.quit()
