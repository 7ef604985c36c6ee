"""Where people-and-access rows live: devices, recovery codes and invitations are rows of the
school's own database (through School/router.py), as users and lock-outs are; every school,
new ones too, starts with the standard groups; backups and clones carry them."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from School.accounts.models import Invitation
from School.context import tenant_context

PASSWORD = "correct-horse-battery"


def rows(school):
    with tenant_context(school):
        return (TOTPDevice.objects.count(), StaticDevice.objects.count(), StaticToken.objects.count(), Invitation.objects.count())


def test_otp_devices_and_recovery_codes_land_in_the_schools_own_database(three_schools):
    with tenant_context("nairobi"):
        user = get_user_model().objects.create_user("amina", "amina@nairobi.test", PASSWORD)
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        recovery = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
        StaticToken.objects.create(device=recovery, token="abcd2345")
        Invitation.objects.create(email="new@nairobi.test", digest="x" * 64, expires_at=timezone.now() + timedelta(hours=1))
        assert device._state.db == "nairobi"
    assert rows("nairobi") == (1, 1, 1, 1)
    assert rows("accra") == (0, 0, 0, 0)
    assert rows("default") == (0, 0, 0, 0)
    # Looked up by the persistent id the session keeps, at Nairobi only.
    from django_otp.models import Device

    with tenant_context("nairobi"):
        assert Device.from_persistent_id(device.persistent_id) == device
    with tenant_context("accra"):
        assert Device.from_persistent_id(device.persistent_id) is None


def group_names(school):
    with tenant_context(school):
        return set(Group.objects.values_list("name", flat=True))


def test_every_school_starts_with_the_standard_groups(three_schools):
    for school in ("default", "nairobi", "accra"):
        assert {"Registrars", "Viewers", "School admins", "Teachers"} <= group_names(school)
    with tenant_context("nairobi"):
        teachers = {p.codename for p in Group.objects.get(name="Teachers").permissions.all()}
        registrars = {p.codename for p in Group.objects.get(name="Registrars").permissions.all()}
        viewers = {p.codename for p in Group.objects.get(name="Viewers").permissions.all()}
        admins = {p.codename for p in Group.objects.get(name="School admins").permissions.all()}
    year_reads = {"view_schoolyear", "view_schoolclass", "view_enrolment"}
    assert registrars == {"view_student", "add_student", "change_student", *year_reads,
                          "add_schoolclass", "change_schoolclass", "change_enrolment",
                          "add_registertaken", "change_registertaken", "view_registertaken",
                          # groups other than a class (a trip, a team), made and filled by the registrars
                          "add_registergroup", "change_registergroup", "delete_registergroup", "view_registergroup",
                          "view_guardian", "add_guardian", "change_guardian",
                          "view_guardianship", "add_guardianship", "change_guardianship", "delete_guardianship"}
    assert teachers == {"add_registertaken"}  # their own classes' registers, nothing else
    assert viewers == {"view_student", *year_reads, "view_guardian", "view_guardianship"}  # reading only
    assert {"add_invitation", "add_user", "change_user", "delete_student", "view_auditevent"} <= admins


def test_a_school_made_from_the_provisioning_template_has_the_groups(platform, run_cli):
    from tests.conftest import outlive_registry_ttl

    platform.add_school("default", ["localhost"], "Default School")
    result = run_cli("schools", "add", "kisumu", "--host", "kisumu.localhost")
    assert result.returncode == 0, result.stderr
    result = run_cli("schools", "add", "mombasa", "--host", "mombasa.localhost")  # copied from the template
    assert result.returncode == 0, result.stderr
    outlive_registry_ttl()
    for school in ("kisumu", "mombasa"):
        assert {"Registrars", "Viewers", "School admins"} <= group_names(school)
        assert rows(school) == (0, 0, 0, 0)


def test_a_sessions_device_id_of_the_wrong_kind_or_shape_finds_nothing(three_schools):
    from School.accounts.second_factor import device_from_persistent_id

    with tenant_context("nairobi"):
        user = get_user_model().objects.create_user("amina", "", PASSWORD)
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        assert device_from_persistent_id(device.persistent_id) == device
        for junk in ("otp_totp.totpdevice/0123456789abcdef01234567", "otp_totp.totpdevice/", "auth.user/1", "nope/1", "x"):
            assert device_from_persistent_id(junk) is None
