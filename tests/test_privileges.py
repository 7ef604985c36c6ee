"""Issue 30, point 1: a School admin manages people within its own rights and never raises anyone above them."""

import pytest
from django.contrib.auth.models import Group, Permission
from django_otp.plugins.otp_totp.models import TOTPDevice

from School.accounts.groups import REGISTRARS, SCHOOL_ADMINS, VIEWERS
from School.accounts.models import Invitation
from School.context import tenant_context
from School.security.models import AuditEvent
from tests.accounts_helpers import body, smtp  # noqa: F401 (a fixture)
from tests.people_helpers import member, signed_in, user_row



@pytest.fixture
def nairobi(three_schools):
    member("nairobi", "amina", SCHOOL_ADMINS)
    member("nairobi", "otieno", VIEWERS)
    member("nairobi", "head", superuser=True)
    return signed_in("nairobi.localhost", "amina")


def every_permission_pk(school):
    with tenant_context(school):
        return list(Permission.objects.values_list("pk", flat=True))


def raise_to_everything(client, user, school):
    """The stock user admin's escalation: the change form posted with every right ticked."""
    return client.post(f"/admin/auth/user/{user.pk}/change/", {
        "username": user.username, "email": user.email, "is_active": "on", "is_staff": "on", "is_superuser": "on",
        "date_joined_0": "2026-01-01", "date_joined_1": "08:00:00", "user_permissions": every_permission_pk(school),
    })


def test_a_school_admin_cannot_make_itself_or_anyone_superuser(nairobi):
    amina = user_row("nairobi", "amina")
    response = raise_to_everything(nairobi, amina, "nairobi")
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    otieno = user_row("nairobi", "otieno")
    raise_to_everything(nairobi, otieno, "nairobi")
    for username in ("amina", "otieno"):
        user = user_row("nairobi", username)
        assert not user.is_superuser and not user.user_permissions.exists(), username
    assert not user_row("nairobi", "otieno").is_staff
    # Without the forged permissions the form saves, and the flags stay as they were.
    nairobi.post(f"/admin/auth/user/{amina.pk}/change/", {
        "username": "amina", "email": "amina@nairobi.test", "is_active": "on", "is_superuser": "on",
        "date_joined_0": "2026-01-01", "date_joined_1": "08:00:00", "groups": [amina.groups.get().pk],
    })
    amina = user_row("nairobi", "amina")
    assert amina.is_staff and not amina.is_superuser and amina.date_joined.year == 2026


def test_a_superuser_still_grants_what_it_likes(nairobi):
    head = signed_in("nairobi.localhost", "head")
    otieno = user_row("nairobi", "otieno")
    assert raise_to_everything(head, otieno, "nairobi").status_code == 302
    assert user_row("nairobi", "otieno").is_superuser


def test_a_school_admin_puts_people_in_groups_within_its_rights_and_staff_follows(nairobi):
    otieno = user_row("nairobi", "otieno")
    with tenant_context("nairobi"):
        registrars = Group.objects.get(name=REGISTRARS).pk
    response = nairobi.post(f"/admin/auth/user/{otieno.pk}/change/", {
        "username": "otieno", "email": "otieno@nairobi.test", "is_active": "on",
        "date_joined_0": "2026-01-01", "date_joined_1": "08:00:00", "groups": [registrars],
    })
    assert response.status_code == 302
    otieno = user_row("nairobi", "otieno")
    assert otieno.is_staff and list(otieno.groups.values_list("name", flat=True)) == [REGISTRARS]


def test_a_school_admin_cannot_touch_a_superusers_password_second_factor_or_account(nairobi):
    head = user_row("nairobi", "head")
    with tenant_context("nairobi"):
        device = TOTPDevice.objects.create(user=head, name="phone", confirmed=True)
    response = nairobi.post(f"/admin/auth/user/{head.pk}/password/", {"password1": "taken-over-1", "password2": "taken-over-1"})
    assert response.status_code == 403
    assert nairobi.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = nairobi.post("/admin/otp_totp/totpdevice/", {"action": "delete_selected", "_selected_action": [device.pk], "post": "yes"})
    assert bulk.status_code == 403
    bulk = nairobi.post("/admin/auth/user/", {"action": "delete_selected", "_selected_action": [head.pk], "post": "yes"})
    assert bulk.status_code == 403
    assert nairobi.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").status_code == 403
    head = user_row("nairobi", "head")
    assert head.check_password("correct-horse-battery") and head.is_active
    with tenant_context("nairobi"):
        assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_resetting_a_members_second_factor_is_audited(nairobi):
    otieno = user_row("nairobi", "otieno")
    with tenant_context("nairobi"):
        device = TOTPDevice.objects.create(user=otieno, name="phone", confirmed=True)
    assert nairobi.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"}).status_code == 302
    with tenant_context("nairobi"):
        assert not TOTPDevice.objects.filter(pk=device.pk).exists()
        event = AuditEvent.objects.get(action=AuditEvent.Action.SECOND_FACTOR_RESET)
    assert (event.username, event.target) == ("amina", "otieno")


def test_a_school_admin_gives_no_group_a_right_it_lacks_and_invites_into_none_beyond_its_own(nairobi):
    with tenant_context("nairobi"):
        admins = Group.objects.get(name=SCHOOL_ADMINS)
        held = list(admins.permissions.values_list("pk", flat=True))
        platform = Permission.objects.get(codename="view_platform").pk
        wardens = Group.objects.create(name="Wardens")
        wardens.permissions.add(platform)
    response = nairobi.post(f"/admin/auth/group/{admins.pk}/change/", {"name": SCHOOL_ADMINS, "permissions": [*held, platform]})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert nairobi.post(f"/admin/auth/group/{wardens.pk}/change/", {"name": "Wardens", "permissions": held}).status_code == 403
    response = nairobi.post("/admin/accounts/invitation/add/", {"email": "spy@example.test", "group": wardens.pk})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    with tenant_context("nairobi"):
        assert not admins.permissions.filter(pk=platform).exists()
        assert list(wardens.permissions.values_list("pk", flat=True)) == [platform]
        assert not Invitation.objects.exists()


@pytest.fixture
def default_school_admin(three_schools):
    member("default", "ops", SCHOOL_ADMINS)
    member("default", "root", superuser=True)
    return signed_in("localhost", "ops")


def test_at_the_platforms_school_a_school_admin_reaches_neither_the_registry_nor_the_dashboard(default_school_admin):
    for path in ("/platform/", "/admin/School/school/", "/admin/School/school/add/"):
        assert default_school_admin.get(path).status_code in (403, 404), path
    response = default_school_admin.post("/admin/School/school/add/", {"name": "evil", "display_name": "Nairobi School", "host_names": "evil.localhost"})
    assert response.status_code == 403
    from School.models import School

    assert not School.objects.using("default").filter(name="evil").exists()
    root = signed_in("localhost", "root")
    assert root.get("/platform/").status_code == 200 and root.get("/admin/School/school/").status_code == 200


def test_moving_a_schools_host_is_audited_there_and_told_to_its_admins(default_school_admin, smtp):
    from School.models import School, SchoolHost

    member("nairobi", "amina", SCHOOL_ADMINS)
    member("nairobi", "otieno", VIEWERS)
    nairobi = School.objects.using("default").get(name="nairobi")
    hosts = list(SchoolHost.objects.using("default").filter(school=nairobi).order_by("host"))
    form = {
        "display_name": nairobi.display_name, "language": nairobi.language, "time_zone": nairobi.time_zone,
        "date_order": nairobi.date_order,
        "hosts-TOTAL_FORMS": len(hosts), "hosts-INITIAL_FORMS": len(hosts), "hosts-MIN_NUM_FORMS": 0, "hosts-MAX_NUM_FORMS": 1000,
    }
    for n, row in enumerate(hosts):
        form.update({f"hosts-{n}-id": row.pk, f"hosts-{n}-school": nairobi.pk, f"hosts-{n}-host": row.host})
        if row.host == "nairobi.school.local":
            form[f"hosts-{n}-DELETE"] = "on"
    response = signed_in("localhost", "root").post(f"/admin/School/school/{nairobi.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[-3000:]
    with tenant_context("nairobi"):
        event = AuditEvent.objects.get(action=AuditEvent.Action.HOSTS_CHANGED)
    assert (event.username, event.target) == ("root", "-nairobi.school.local")
    message = smtp.wait_for(1)
    assert message["To"] == "amina@nairobi.test" and "nairobi.school.local" in body(message)
    assert len(smtp.messages) == 1  # the Viewer is not an administrator
