"""A signed-in session kept by one worker is refused there as soon as another process changes who may do what.

This test process is the worker that keeps the session (School/accounts/kept_sign_ins.py);
each change is made by another process (`school_manage.py nairobi shell`), as another
gunicorn worker or an operator's command would make it.
"""

from datetime import timedelta
from importlib import import_module
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.models import Group
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from School.accounts.groups import REGISTRARS
from School.context import tenant_context

NAIROBI = "nairobi.localhost"
ROW = ">NBI-0001<"


@pytest.fixture
def registrar(three_schools, settings):
    """A Client of a registrar whose session was verified with a TOTP device, in production's profile."""
    settings.SECOND_FACTOR_REQUIRED = True
    settings.STUDENT_DATA_REQUIRES_LOGIN = True
    with tenant_context("nairobi"):
        user = get_user_model().objects.create_user("registrar", password="old-password-1", is_staff=True)
        user.groups.add(Group.objects.get(name=REGISTRARS))
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                        HASH_SESSION_KEY: user.get_session_auth_hash(), DEVICE_ID_SESSION_KEY: device.persistent_id})
        session.create()
    client = Client(HTTP_HOST=NAIROBI)
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


def served_from_the_kept_session(client):
    """The table, signed in, its session, user and device not read again (kept by this worker)."""
    client.get("/")
    with CaptureQueriesContext(connections["nairobi"]) as queries:
        response = client.get("/")
    page = response.content.decode()
    assert response.status_code == 200 and ROW in page and 'id="sign-out"' in page
    read = " ".join(query["sql"] for query in queries.captured_queries)
    assert "django_session" not in read and "auth_user" not in read and "otp_totp" not in read


def in_another_process(run_cli, code):
    result = run_cli("nairobi", "shell", "-c", code)
    assert result.returncode == 0, result.stderr


def session_key(client):
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_signed_out_in_another_process_is_refused_here_at_once(registrar, run_cli):
    served_from_the_kept_session(registrar)
    # What the sign-out page does with the session: Django's logout() flushes it.
    in_another_process(run_cli, f"from School.accounts.sessions import SessionStore; SessionStore({session_key(registrar)!r}).flush()")
    response = registrar.get("/")
    assert response.status_code == 200 and ROW not in response.content.decode()  # the sign-in page
    assert 'name="password"' in response.content.decode()


def test_a_password_changed_elsewhere_signs_the_session_out_here(registrar, run_cli):
    served_from_the_kept_session(registrar)
    in_another_process(run_cli, "from django.contrib.auth import get_user_model\n"
                                "user = get_user_model().objects.get(username='registrar')\n"
                                "user.set_password('new-password-2'); user.save()")
    response = registrar.get("/")
    assert ROW not in response.content.decode() and 'name="password"' in response.content.decode()


def test_a_removed_second_factor_is_asked_for_again_here(registrar, run_cli):
    served_from_the_kept_session(registrar)
    in_another_process(run_cli, "from django_otp.plugins.otp_totp.models import TOTPDevice\n"
                                "TOTPDevice.objects.filter(user__username='registrar').delete()")
    response = registrar.get("/")
    assert response.status_code == 302 and "/accounts/" in response["Location"]


def test_a_permission_removed_elsewhere_refuses_the_table_here(registrar, run_cli):
    served_from_the_kept_session(registrar)
    in_another_process(run_cli, "from django.contrib.auth import get_user_model\n"
                                "get_user_model().objects.get(username='registrar').groups.clear()")
    assert registrar.get("/").status_code == 403
    # ... and given back: served again.
    in_another_process(run_cli, "from django.contrib.auth import get_user_model\n"
                                "from django.contrib.auth.models import Group\n"
                                f"get_user_model().objects.get(username='registrar').groups.add(Group.objects.get(name={REGISTRARS!r}))")
    served_from_the_kept_session(registrar)


def test_a_group_losing_its_permission_refuses_the_table(registrar):
    served_from_the_kept_session(registrar)
    with tenant_context("nairobi"):
        Group.objects.get(name=REGISTRARS).permissions.remove(*Group.objects.get(name=REGISTRARS).permissions.filter(
            codename="view_student"))
    assert registrar.get("/").status_code == 403


def test_a_deactivated_user_is_signed_out(registrar):
    served_from_the_kept_session(registrar)
    with tenant_context("nairobi"):
        user = get_user_model().objects.get(username="registrar")
        user.is_active = False
        user.save()
    assert ROW not in registrar.get("/").content.decode()


def test_a_kept_session_past_its_expiry_is_refused(registrar):
    served_from_the_kept_session(registrar)
    later = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE + 1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        response = registrar.get("/")
    assert ROW not in response.content.decode() and 'name="password"' in response.content.decode()


def test_what_a_request_changes_on_its_user_stays_its_own(registrar):
    served_from_the_kept_session(registrar)
    response = registrar.get("/")
    response.wsgi_request.user.is_staff = False  # as a view might, for its own request
    served_from_the_kept_session(registrar)
    assert ">Import<" in registrar.get("/").content.decode()  # staff's links: the kept user is still staff


def test_a_school_restored_without_sessions_signs_everyone_out(registrar, run_cli, tmp_path):
    from School.operations import restore

    served_from_the_kept_session(registrar)
    backup = tmp_path / "nairobi.jsonl.gz"  # its access stamp as now; sessions are not backed up
    result = run_cli("nairobi", "backup", "--output", str(backup))
    assert result.returncode == 0, result.stderr
    restore.replace(str(backup), "nairobi")
    page = registrar.get("/").content.decode()
    assert ROW not in page and 'name="password"' in page


def test_a_student_added_elsewhere_is_on_the_signed_in_table_at_once(registrar, run_cli):
    served_from_the_kept_session(registrar)  # the page kept too, under the students stamp read with the session's
    in_another_process(run_cli, "from School.models import Student\n"
                                "Student.objects.create(registration_no='NEW/1', first_name='Newly', second_name='Come')")
    assert ">NEW/1<" in registrar.get("/").content.decode()


def test_the_transfer_link_follows_a_permission_given_and_taken_elsewhere(registrar, run_cli):
    """Whether the user may transfer is kept with the sign-in, and asked again after a change to permissions."""
    served_from_the_kept_session(registrar)
    assert 'id="transfer-students"' not in registrar.get("/").content.decode()  # registrars may not transfer
    change = ("from django.contrib.auth import get_user_model\n"
              "from django.contrib.auth.models import Permission\n"
              "permission = Permission.objects.get(content_type__app_label='School', codename='transfer_student')\n"
              "get_user_model().objects.get(username='registrar').user_permissions.{}(permission)")
    in_another_process(run_cli, change.format("add"))
    assert 'id="transfer-students"' in registrar.get("/").content.decode()
    in_another_process(run_cli, change.format("remove"))
    assert 'id="transfer-students"' not in registrar.get("/").content.decode()
