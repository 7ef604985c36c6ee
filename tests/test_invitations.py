"""Invitations by email (issue 20): a real SMTP server on loopback, links followed over real HTTP."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from School.accounts.models import Invitation
from School.context import tenant_context
from School.security.models import AuditEvent
from tests.accounts_helpers import body, csrf, follow, link_in, smtp  # noqa: F401  (fixture)
from tests.conftest import free_port

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "a-new-long-passphrase-42"


def cli_env(smtp, live_server_url):
    return {"EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}", "LINK_PORT": live_server_url.rsplit(":", 1)[1], "DEFAULT_FROM_EMAIL": "records@school.test"}


def accept(browser, path, username="wanjiru"):
    status, _, page = browser.request(path)
    assert status == 200, page
    return browser.request(
        path, {"csrfmiddlewaretoken": csrf(page), "username": username, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )


def audit_actions(school):
    with tenant_context(school):
        return list(AuditEvent.objects.order_by("pk").values_list("action", "target", "username"))


def test_an_operator_invites_a_registrar_who_joins_through_the_link(three_schools, smtp, live_server_url, run_cli):
    result = run_cli("nairobi", "invite", "wanjiru@nairobi.test", "--group", "Registrars", env=cli_env(smtp, live_server_url))
    assert result.returncode == 0, result.stderr
    assert "Invited wanjiru@nairobi.test to nairobi" in result.stdout
    message = smtp.wait_for(1)
    assert message["To"] == "wanjiru@nairobi.test"
    assert "Nairobi School" in message["Subject"] and "Nairobi School" in body(message)
    url = link_in(message)
    assert url.startswith("http://nairobi.localhost:")
    browser, path = follow(live_server_url, url)
    status, _, page = accept(browser, path)
    assert status == 200 and "your account is ready" in page  # redirected to the sign-in page
    with tenant_context("nairobi"):
        user = get_user_model().objects.get(username="wanjiru")
        assert user.email == "wanjiru@nairobi.test" and user.is_staff and not user.is_superuser
        assert list(user.groups.values_list("name", flat=True)) == ["Registrars"]
        assert user.has_perm("School.add_student") and not user.has_perm("School.delete_student")
    status, page = browser.sign_in("/accounts/login/", "wanjiru", NEW_PASSWORD)
    assert status == 200 and "Site administration" in page  # Registrars are staff
    # Single use: the same link again changes nothing.
    again = follow(live_server_url, url)[0]
    status, _, page = again.request(path)
    assert status == 410 and "used already" in page
    assert [(a, t) for a, t, _ in audit_actions("nairobi")] == [("invited", "wanjiru@nairobi.test"), ("joined", "wanjiru@nairobi.test")]
    assert audit_actions("nairobi")[0][2] == "operator"


def test_a_link_of_one_school_opens_nothing_at_another(three_schools, smtp, live_server_url, run_cli):
    assert run_cli("nairobi", "invite", "kofi@nairobi.test", env=cli_env(smtp, live_server_url)).returncode == 0
    _, path = follow(live_server_url, link_in(smtp.wait_for(1)))
    accra = follow(live_server_url, "http://accra.localhost/")[0]
    status, _, page = accra.request(path)
    assert status == 404 and "not valid at this school" in page
    status, _, page = accra.request(path.rstrip("/") + "x/")  # forged
    assert status == 404
    with tenant_context("accra"):
        assert get_user_model().objects.count() == 0


def test_an_expired_invitation_is_refused_and_creates_nobody(three_schools, smtp, live_server_url, run_cli):
    assert run_cli("nairobi", "invite", "old@nairobi.test", env=cli_env(smtp, live_server_url)).returncode == 0
    _, path = follow(live_server_url, link_in(smtp.wait_for(1)))
    with tenant_context("nairobi"):
        Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    browser = follow(live_server_url, "http://nairobi.localhost/")[0]
    status, _, page = browser.request(path)
    assert status == 410 and "expired" in page
    with tenant_context("nairobi"):
        assert get_user_model().objects.count() == 0


def test_bad_invitations_on_the_command_line_exit_2_and_write_nothing(three_schools, run_cli):
    with tenant_context("nairobi"):
        get_user_model().objects.create_user("amina", "amina@nairobi.test", PASSWORD)
    taken = run_cli("nairobi", "invite", "AMINA@nairobi.test")
    assert taken.returncode == 2 and "already has an account at this school" in taken.stderr
    no_group = run_cli("nairobi", "invite", "x@nairobi.test", "--group", "Wizards")
    assert no_group.returncode == 2 and "no group 'Wizards'" in no_group.stderr and "Registrars" in no_group.stderr
    not_email = run_cli("nairobi", "invite", "not-an-address")
    assert not_email.returncode == 2 and "not an email address" in not_email.stderr
    with tenant_context("nairobi"):
        assert Invitation.objects.count() == 0
        assert not AuditEvent.objects.exists()


def test_a_mail_server_that_is_down_loses_no_invitation(three_schools, smtp, live_server_url, run_cli):
    down = {**cli_env(smtp, live_server_url), "EMAIL_URL": f"smtp://127.0.0.1:{free_port()}"}
    result = run_cli("nairobi", "invite", "esi@nairobi.test", env=down)
    assert result.returncode == 1
    assert "saved at nairobi, but the mail was not sent" in result.stderr and "again to resend" in result.stderr
    with tenant_context("nairobi"):
        invitation = Invitation.objects.get()
        assert invitation.send_error and invitation.sent_at is None and invitation.state() == "pending"
    # Mail works again: the same command resends it, with a new link; the old one is dead.
    result = run_cli("nairobi", "invite", "esi@nairobi.test", env=cli_env(smtp, live_server_url))
    assert result.returncode == 0, result.stderr
    browser, path = follow(live_server_url, link_in(smtp.wait_for(1)))
    assert accept(browser, path, "esi")[0] == 200
    with tenant_context("nairobi"):
        assert Invitation.objects.filter(accepted_at__isnull=False).count() == 1
        assert Invitation.objects.filter(revoked_at__isnull=False).count() == 1


@pytest.fixture
def school_admin(three_schools):
    with tenant_context("nairobi"):
        get_user_model().objects.create_superuser("head", "head@nairobi.test", PASSWORD)
    client = Client(HTTP_HOST="nairobi.localhost")
    assert client.post("/admin/login/", {"username": "head", "password": PASSWORD}).status_code == 302
    return client


def test_the_schools_admin_invites_lists_resends_and_revokes(school_admin, smtp, settings):
    from School.accounts.groups import VIEWERS

    with tenant_context("nairobi"):
        from django.contrib.auth.models import Group

        viewers = Group.objects.get(name=VIEWERS).pk
    settings.EMAIL_PORT = free_port()  # the mail server is down
    response = school_admin.post("/admin/accounts/invitation/add/", {"email": "abena@nairobi.test", "group": viewers}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "was saved, but the mail server could not be reached" in page and "abena@nairobi.test" in page
    settings.EMAIL_PORT = smtp.port  # back up: resend from the list
    with tenant_context("nairobi"):
        pk = Invitation.objects.get().pk
    response = school_admin.post("/admin/accounts/invitation/", {"action": "resend", "_selected_action": [pk]}, follow=True)
    assert "Invitation sent to abena@nairobi.test" in response.content.decode()
    message = smtp.wait_for(1)
    assert "http://nairobi.localhost:8000/accounts/invitation/" in body(message)  # the platform's LINK_PORT
    response = school_admin.post("/admin/accounts/invitation/", {"action": "revoke", "_selected_action": [pk]}, follow=True)
    assert "Revoked 1 invitation." in response.content.decode()
    secret = link_in(message).rstrip("/").rsplit("/", 1)[1]
    gone = Client(HTTP_HOST="nairobi.localhost").get(f"/accounts/invitation/{secret}/")
    assert gone.status_code == 410 and "revoked" in gone.content.decode()
    # An address that already has an account is refused by the form, nothing saved.
    response = school_admin.post("/admin/accounts/invitation/add/", {"email": "head@nairobi.test"})
    assert response.status_code == 200 and "already has an account at this school" in response.content.decode()
    with tenant_context("nairobi"):
        assert Invitation.objects.count() == 1
    assert [(action, target) for action, target, _ in audit_actions("nairobi")] == [
        ("invited", "abena@nairobi.test"), ("invited", "abena@nairobi.test"), ("invite_revoked", "abena@nairobi.test")
    ]


def test_the_message_goes_out_after_the_commit_and_never_for_a_rollback(three_schools, smtp):
    from django.db import transaction

    from School.accounts import invitations

    with tenant_context("nairobi"):
        with transaction.atomic(using="nairobi"):
            invitation, outcome = invitations.invite("late@nairobi.test", invited_by="head")
            assert not outcome.sent and not outcome.error  # not handed to the mail server yet
        assert outcome.sent  # the commit sent it
        assert smtp.wait_for(1)["To"] == "late@nairobi.test"
        with pytest.raises(RuntimeError), transaction.atomic(using="nairobi"):
            _, rolled_back = invitations.invite("never@nairobi.test", invited_by="head")
            raise RuntimeError("the surrounding work failed")
        assert not rolled_back.sent and not rolled_back.error  # never sent, never tried
        assert not Invitation.objects.filter(email="never@nairobi.test").exists()
