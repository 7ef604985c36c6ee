"""A registrar uploads a photo and a PDF in a real browser and sees them (Debian's headless Chromium)."""

import pytest
from django.contrib.auth import get_user_model

from School.context import tenant_context
from School.models import Student
from tests.test_browser import PASSWORD, browser, have_browser, school_url, sign_in, step, submit_and_wait  # noqa: F401
from tests.test_documents import jpeg, pdf

pytestmark = pytest.mark.skipif(not have_browser, reason="Debian's chromium and chromium-driver are not installed")


def test_photo_and_document_on_the_students_page(three_schools, live_server_url, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    with tenant_context("nairobi"):
        get_user_model().objects.create_superuser("boss", "", PASSWORD)
        student = Student.objects.get(registration_no="NBI-0001")
    page = school_url(live_server_url, "nairobi.localhost", f"/students/{student.pk}/")
    (tmp_path / "photo.jpg").write_bytes(jpeg(orientation=6, gps=True))
    (tmp_path / "letter.pdf").write_bytes(pdf())

    def upload(path, kind):
        Select(browser.find_element(By.NAME, "kind")).select_by_value(kind)
        browser.find_element(By.CSS_SELECTOR, "#file-upload input[type=file]").send_keys(str(path))
        submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#file-upload button[type=submit]"))

    with step(browser, "documents-1-upload"):
        sign_in(browser, school_url(live_server_url, "nairobi.localhost", "/admin/login/"), "boss")
        browser.get(page)
        assert "No photo yet." in browser.find_element(By.ID, "student-files").text
        upload(tmp_path / "photo.jpg", "photo")
        upload(tmp_path / "letter.pdf", "transfer_letter")
    with step(browser, "documents-2-shown"):
        photo = browser.find_element(By.ID, "student-photo")
        # Loaded under the page's CSP, upright (300 x 400 after the EXIF orientation).
        assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", photo) == 180
        assert browser.execute_script("return arguments[0].naturalHeight", photo) == 240
        assert "Transfer letter" in browser.find_element(By.CSS_SELECTOR, "#student-files table").text
    with step(browser, "documents-3-signed-out"):
        thumbnail = photo.get_attribute("src")
        browser.delete_all_cookies()
        browser.get(thumbnail)
        assert "Not Found" in browser.page_source or "404" in browser.title or "not found" in browser.page_source.lower()
