"""The look-ups compiled once (School/compiled.py) answer what the ORM's would: sessions, devices, permissions."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from School.accounts.groups import REGISTRARS, SCHOOL_ADMINS
from School.accounts.kept_sign_ins import forget_sign_ins
from School.accounts.permissions import CompiledPermissionsBackend
from School.accounts.second_factor import device_from_persistent_id
from School.accounts.sessions import SessionStore
from School.context import tenant_context
from School.models import StudentsStamp


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def test_permissions_are_modelbackends_own(three_schools):
    with tenant_context("nairobi"):
        users = get_user_model().objects
        registrar = users.create_user("registrar", is_staff=True)
        registrar.groups.add(Group.objects.get(name=REGISTRARS))
        both = users.create_user("both")
        both.groups.add(Group.objects.get(name=REGISTRARS), Group.objects.get(name=SCHOOL_ADMINS))
        both.user_permissions.add(Permission.objects.get(codename="transfer_student"))
        nobody = users.create_user("nobody")
        gone = users.create_user("gone", is_active=False)
        gone.user_permissions.add(Permission.objects.get(codename="view_student"))
        for user in (registrar, both, nobody, gone):
            compiled = CompiledPermissionsBackend().get_all_permissions(fresh(user))
            assert compiled == ModelBackend().get_all_permissions(fresh(user)), user.username
        assert "School.change_student" in CompiledPermissionsBackend().get_all_permissions(fresh(registrar))
        assert fresh(both).has_perm("School.transfer_student") and not fresh(registrar).has_perm("School.transfer_student")
        assert not fresh(gone).has_perm("School.view_student")
    with tenant_context("accra"):  # another school's users and groups
        assert not get_user_model().objects.filter(username="registrar").exists()


def test_sessions_read_as_django_reads_them(three_schools):
    with tenant_context("nairobi"):
        store = SessionStore()
        store["answer"] = 42
        store.create()
        assert SessionStore(store.session_key).load() == {"answer": 42}
        unknown = SessionStore("x" * 32)
        assert unknown.load() == {} and unknown.session_key is None
        Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
        forget_sign_ins()  # the row changed behind the session engine's back: read it, not the worker's copy
        expired = SessionStore(store.session_key)
        assert expired.load() == {} and expired.session_key is None
        key = store.session_key
    with tenant_context("accra"):  # a session of Nairobi is nothing at Accra
        assert SessionStore(key).load() == {}


def test_devices_and_the_stamp_read_as_the_orm_reads_them(three_schools):
    with tenant_context("nairobi"):
        user = get_user_model().objects.create_user("phone-owner")
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        found = device_from_persistent_id(device.persistent_id)
        assert found == device and found.confirmed is True and found.user_id == user.pk
        assert [getattr(found, f.attname) for f in TOTPDevice._meta.concrete_fields] == [
            getattr(TOTPDevice.objects.get(pk=device.pk), f.attname) for f in TOTPDevice._meta.concrete_fields]
        for junk in ("otp_totp.totpdevice/abc", "otp_totp.totpdevice/999999", "auth.user/1", "nonsense"):
            assert device_from_persistent_id(junk) is None
        assert StudentsStamp.current("nairobi") == StudentsStamp.objects.get(key="students").token
    with tenant_context("accra"):
        assert device_from_persistent_id(device.persistent_id) is None


def test_no_session_ever_names_the_permissions_backend(three_schools):
    from django.test import Client

    assert not hasattr(CompiledPermissionsBackend(), "get_user")
    with tenant_context("nairobi"):
        user = get_user_model().objects.create_user("forced", is_staff=True)
        client = Client(HTTP_HOST="nairobi.localhost")
        client.force_login(user)  # the first backend with a get_user: ModelBackend
        assert client.session["_auth_user_backend"] == "django.contrib.auth.backends.ModelBackend"
    assert 'id="sign-out"' in client.get("/").content.decode()
