"""A transfer in a real browser: sent from the student's page at one school, accepted at the other."""

import pytest
from django.contrib.auth import get_user_model

from School.context import tenant_context
from School.models import Student
from tests.test_browser import PASSWORD, browser, pytestmark, school_url, sign_in, step, submit_and_wait  # noqa: F401

pytestmark = [pytestmark, pytest.mark.sqlite]


def test_send_from_the_students_page_and_accept_at_the_other_school(three_schools, live_server_url, browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    with tenant_context("nairobi"):
        get_user_model().objects.create_superuser("njeri", "", PASSWORD)
        student = Student.objects.get(registration_no="NBI-0002")
    with tenant_context("accra"):
        get_user_model().objects.create_superuser("kofi", "", PASSWORD)
    nairobi = lambda path="/": school_url(live_server_url, "nairobi.localhost", path)  # noqa: E731
    accra = lambda path="/": school_url(live_server_url, "accra.localhost", path)  # noqa: E731

    with step(browser, "transfer-1-send"):
        sign_in(browser, nairobi("/admin/login/"), "njeri")
        browser.get(nairobi(f"/students/{student.pk}/"))
        submit_and_wait(browser, browser.find_element(By.ID, "transfer-link"))
        browser.find_element(By.NAME, "to").send_keys("Accra Academy")
        browser.find_element(By.NAME, "note").send_keys("Moving to Accra in May")
        submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#send-transfer button[type=submit]"))
        assert "1 transfer sent to Accra Academy" in browser.find_element(By.CLASS_NAME, "messages").text
        assert "Pending" in browser.find_element(By.ID, "outgoing").text

    with step(browser, "transfer-2-accept"):
        sign_in(browser, accra("/admin/login/"), "kofi")
        browser.get(accra("/transfers/"))
        incoming = browser.find_element(By.ID, "incoming").text
        assert "NBIfirst2 NBIlast2" in incoming and "Moving to Accra in May" in incoming
        submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#incoming button[type=submit]"))
        assert "accepted" in browser.find_element(By.CLASS_NAME, "messages").text
        submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#arrived a"))
        assert "Transferred in from Nairobi School on" in browser.find_element(By.ID, "transferred-in").text

    with step(browser, "transfer-3-sender-read-only"):
        sign_in(browser, nairobi("/admin/login/"), "njeri")
        browser.get(nairobi(f"/students/{student.pk}/"))
        assert "Transferred out to Accra Academy on" in browser.find_element(By.ID, "transferred-out").text
        browser.get(nairobi("/"))
        numbers = [row.find_elements(By.TAG_NAME, "td")[2].text for row in browser.find_elements(By.CSS_SELECTOR, "#students tbody tr")]
        assert "NBI-0002" not in numbers and len(numbers) == 4
