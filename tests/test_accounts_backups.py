"""Backups, restores and clones carry people and access: users, invitations, devices and
recovery codes (every table of the school's database); a clone gets no live invitation."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from School.accounts import invitations
from School.accounts.models import Invitation
from School.context import tenant_context
from tests.accounts_helpers import code_at, frozen_clock
from tests.conftest import outlive_registry_ttl
from tests.test_backups import backup, every_row

PASSWORD = "correct-horse-battery"
ACCESS_TABLES = ("auth.user", "auth.group", "auth.group_permissions", "accounts.invitation", "otp_totp.totpdevice", "otp_static.staticdevice", "otp_static.statictoken")


@pytest.fixture
def nairobi_people(three_schools):
    with tenant_context("nairobi"):
        user = get_user_model().objects.create_user("amina", "amina@school.test", PASSWORD, is_staff=True)
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        recovery = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
        StaticToken.objects.create(device=recovery, token="abcd2345")
        invitation, _ = invitations.invite("new@school.test", invited_by="head")
        Invitation.objects.create(email="done@school.test", digest="d" * 64, expires_at=timezone.now() + timedelta(hours=1), accepted_at=timezone.now())
    return device.key, invitation


def test_a_backup_restores_users_invitations_devices_and_recovery_codes(nairobi_people, run_cli, tmp_path, monkeypatch):
    key, _ = nairobi_people
    file = backup(run_cli, "nairobi", tmp_path / "nairobi.jsonl.gz")
    result = run_cli("schools", "restore", str(file), "--as", "kisumu", "--host", "kisumu.localhost")
    assert result.returncode == 0, result.stderr
    outlive_registry_ttl()
    original, restored = every_row("nairobi"), every_row("kisumu")
    for table in ACCESS_TABLES:
        assert original[table], table
        assert (table, restored[table]) == (table, original[table])
    with tenant_context("kisumu"), frozen_clock(monkeypatch) as clock:
        device = TOTPDevice.objects.get()
        assert device.verify_token(code_at(key, clock.now))  # the phone keeps working after a restore
        assert StaticDevice.objects.get().verify_token("abcd2345")
        assert invitations.live().count() == 1  # a restore is the school itself: its invitations stand


def test_a_clone_carries_devices_but_no_live_invitation(nairobi_people, run_cli):
    _, invitation = nairobi_people
    result = run_cli("schools", "clone", "nairobi", "training", "--host", "training.localhost")
    assert result.returncode == 0, result.stderr
    outlive_registry_ttl()
    with tenant_context("training"):
        assert TOTPDevice.objects.count() == 1 and StaticToken.objects.count() == 1
        assert get_user_model().objects.filter(username="amina").exists()
        assert not invitations.live().exists()
        assert Invitation.objects.get(email="new@school.test").revoked_at is not None
        assert Invitation.objects.get(email="done@school.test").accepted_at is not None
    with tenant_context("nairobi"):
        assert invitations.live().count() == 1  # the source keeps its own
