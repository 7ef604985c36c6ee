"""Password reset by email (issue 20): real SMTP on loopback, the link followed over real HTTP."""

from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from School.context import tenant_context
from School.security.models import AuditEvent
from School.security.tokens import create_token
from School.jobs.models import Job
from tests.accounts_helpers import csrf, follow, link_in, smtp  # noqa: F401  (fixture)
from tests.conftest import free_port
from tests.test_lockouts import Browser

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "a-new-long-passphrase-42"


@pytest.fixture
def users(three_schools):
    cache.clear()  # the limiter's counts (local memory in tests)
    for school in ("nairobi", "accra"):
        with tenant_context(school):
            get_user_model().objects.create_superuser("amina", "amina@school.test", PASSWORD)
    yield three_schools
    cache.clear()


def ask_reset(browser, address):
    _, _, page = browser.request("/accounts/password-reset/")
    return browser.request("/accounts/password-reset/", {"csrfmiddlewaretoken": csrf(page), "email": address})


def set_password(browser, path, password=NEW_PASSWORD):
    status, headers, page = browser.request(path)  # Django swaps the token for a session-held one
    if status != 200 or 'id="set-password"' not in page:
        return status, page
    status, _, page = browser.request(
        "/accounts/reset/" + path.split("/")[3] + "/set-password/",
        {"csrfmiddlewaretoken": csrf(page), "new_password1": password, "new_password2": password},
    )
    return status, page


def test_a_reset_link_sets_a_new_password_once_and_ends_other_sessions(users, smtp, live_server_url):
    signed_in_elsewhere = Browser(live_server_url, "nairobi.localhost")
    assert signed_in_elsewhere.sign_in("/accounts/login/", "amina", PASSWORD)[0] == 200
    assert signed_in_elsewhere.request("/admin/")[0] == 200
    with tenant_context("nairobi"):
        create_token(get_user_model().objects.get(username="amina"), "script")
    browser = Browser(live_server_url, "nairobi.localhost")
    status, _, page = ask_reset(browser, "amina@school.test")
    assert status == 200 and "If an account of this school has that address" in page
    message = smtp.wait_for(1)
    assert "Nairobi School" in message["Subject"]
    url = link_in(message)
    assert url.startswith("http://nairobi.localhost:")
    browser, path = follow(live_server_url, url)
    status, page = set_password(browser, path)
    assert status == 200 and "you were signed out everywhere" in page
    assert "Your 1 API token still works" in page  # kept, and said so
    # The other session is over; the new password works, the old one not.
    status, _, page = signed_in_elsewhere.request("/admin/")
    assert "Log in" in page and "Site administration" not in page
    assert "Site administration" in Browser(live_server_url, "nairobi.localhost").sign_in("/accounts/login/", "amina", NEW_PASSWORD)[1]
    # Accra's Amina (same user name, address and id) is untouched.
    with tenant_context("accra"):
        assert get_user_model().objects.get(username="amina").check_password(PASSWORD)
    # Single use.
    again, path = follow(live_server_url, url)
    status, page = set_password(again, path, "yet-another-passphrase-7")
    assert status == 400 and "used already, has expired, or is not for this site" in page
    with tenant_context("nairobi"):
        assert list(AuditEvent.objects.values_list("action", flat=True)) == ["password_reset"]


def test_a_link_opens_only_on_the_host_it_was_asked_at(users, smtp, live_server_url):
    ask_reset(Browser(live_server_url, "nairobi.localhost"), "amina@school.test")
    _, path = follow(live_server_url, link_in(smtp.wait_for(1)))
    for host in ("accra.localhost", "nairobi.school.local"):  # another school; another host of the same school
        status, page = set_password(Browser(live_server_url, host), path)
        assert status == 400 and "not for this site" in page
    for school in ("nairobi", "accra"):
        with tenant_context(school):
            assert get_user_model().objects.get(username="amina").check_password(PASSWORD)


def test_an_expired_or_forged_link_changes_nothing(users, smtp, live_server_url, settings, monkeypatch):
    ask_reset(Browser(live_server_url, "nairobi.localhost"), "amina@school.test")
    browser, path = follow(live_server_url, link_in(smtp.wait_for(1)))
    later = datetime.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1)
    monkeypatch.setattr("School.accounts.passwords.SchoolHostTokenGenerator._now", lambda self: later)
    assert set_password(browser, path)[0] == 400
    monkeypatch.undo()
    forged = path[:-3] + ("aa/" if not path.endswith("aa/") else "bb/")
    assert set_password(Browser(live_server_url, "nairobi.localhost"), forged)[0] == 400
    with tenant_context("nairobi"):
        assert get_user_model().objects.get(username="amina").check_password(PASSWORD)


def test_the_answer_never_tells_whether_an_address_exists(users, smtp, live_server_url):
    browser = Browser(live_server_url, "nairobi.localhost")
    unknown = ask_reset(browser, "nobody@school.test")
    known = ask_reset(browser, "amina@school.test")
    assert unknown[0] == known[0] == 200
    assert unknown[2] == known[2]
    assert smtp.wait_for(1)["To"] == "amina@school.test"  # the only message: to the known address
    assert len(smtp.messages) == 1


def test_a_flood_of_requests_is_refused_per_address_and_per_client(users, smtp, live_server_url, settings):
    settings.PASSWORD_RESET_PER_ADDRESS, settings.PASSWORD_RESET_PER_CLIENT = 2, 4
    browser = Browser(live_server_url, "nairobi.localhost")
    statuses = [ask_reset(browser, "amina@school.test")[0] for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert "Too many password reset requests" in ask_reset(browser, "amina@school.test")[2]
    smtp.wait_for(2)
    # The same client, other addresses: refused once the client's own limit is reached.
    assert ask_reset(browser, "other@school.test")[0] == 429
    # Another school's counts are its own.
    assert ask_reset(Browser(live_server_url, "accra.localhost"), "amina@school.test")[0] == 200


def test_a_mail_server_that_is_down_never_holds_the_page_and_the_failure_shows_on_the_jobs_page(users, live_server_url, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    browser = Browser(live_server_url, "nairobi.localhost")
    for address in ("amina@school.test", "nobody@school.test"):
        status, _, page = ask_reset(browser, address)
        assert status == 200  # the same answer for every address, given without waiting on the mail server
    # Only an account gets a message; it is a job, failed (jobs are immediate here: no retries) with the server's answer.
    (job,) = Job.objects.of_school("nairobi").filter(kind="mail.send")
    assert job.state == "failed" and "Connection refused" in job.message
    assert job.args == {}  # the reset link is not kept once the job has ended


def test_a_forged_host_port_never_reaches_the_link(users, smtp, live_server_url, settings):
    """Issue 30: links carry the platform's scheme and port (LINK_SCHEME, LINK_PORT), not the Host header's."""
    settings.LINK_SCHEME, settings.LINK_PORT = "https", ""
    browser = Browser(live_server_url, "nairobi.localhost")
    browser.host = "nairobi.localhost:4444"  # the header an attacker sends; the request still reaches the server
    assert ask_reset(browser, "amina@school.test")[0] == 200
    url = link_in(smtp.wait_for(1))
    assert url.startswith("https://nairobi.localhost/accounts/reset/") and "4444" not in url
    # The link still opens (at the platform's own port, here the live server's) and sets the password.
    _, path = follow(live_server_url, url)
    assert set_password(Browser(live_server_url, "nairobi.localhost"), path)[0] == 200
    with tenant_context("nairobi"):
        assert get_user_model().objects.get(username="amina").check_password(NEW_PASSWORD)
