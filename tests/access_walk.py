"""The adversarial walk's machinery: every URL pattern, every role, every method, and a fingerprint of what is stored."""

import hashlib
import io
import re

from django.apps import apps
from django.test import Client
from django.urls import URLResolver, get_resolver

from School.accounts.groups import REGISTRARS, SCHOOL_ADMINS, VIEWERS
from School.context import tenant_context
from tests.people_helpers import member, signed_in

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ROLES = ("school admin", "registrar", "viewer", "other school", "anonymous")
# What a refusal looks like: to the sign-in page, 401/403, "nothing here" or "not this method".
REFUSED = {302, 401, 403, 404, 405}
# Rows that change whatever anyone does (sign-in bookkeeping), not data anyone was refused.
UNWATCHED = {"sessions.Session", "axes.AccessAttempt", "axes.AccessLog", "axes.AccessFailureLog"}
SCHOOLS = ("default", "nairobi", "accra")


def routes(patterns=None, prefix=""):
    """Every URL pattern of the project as its route text, `admin/` apart (walked by its own test)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith("admin/"):
            continue
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, route)
        else:
            yield route


def fingerprint():
    """A digest of every stored row of every school (sign-in bookkeeping aside)."""
    digest = hashlib.sha256()
    for school in SCHOOLS:
        with tenant_context(school):
            for model in apps.get_models():
                if model._meta.label in UNWATCHED:
                    continue
                try:
                    rows = list(model.objects.order_by("pk").values_list())
                except Exception:  # a registry-only model in a school's database (no table there)
                    continue
                digest.update(f"{school}:{model._meta.label}:{rows!r}".encode())
    return digest.hexdigest()


def people():
    """Nairobi's School admin, Registrar and Viewer, Accra's superuser, and nobody: a client each at Nairobi."""
    member("nairobi", "amina", SCHOOL_ADMINS)
    member("nairobi", "wanjiru", REGISTRARS)
    member("nairobi", "otieno", VIEWERS)
    member("accra", "kofi", superuser=True)
    return {
        "school admin": signed_in("nairobi.localhost", "amina"),
        "registrar": signed_in("nairobi.localhost", "wanjiru"),
        "viewer": signed_in("nairobi.localhost", "otieno"),
        # Accra's signed-in session, brought to Nairobi's host.
        "other school": _carried(signed_in("accra.localhost", "kofi"), "nairobi.localhost"),
        "anonymous": Client(HTTP_HOST="nairobi.localhost"),
    }


def _carried(client, host):
    carried = Client(HTTP_HOST=host)
    carried.cookies = client.cookies
    return carried


def objects():
    """Values for the routes' parameters: real rows of Nairobi where a route names one."""
    from PIL import Image

    from School.documents.service import store_file
    from School.models import Student
    from School.transfers import protocol

    with tenant_context("nairobi"):
        student = Student.objects.get(registration_no="NBI-0001")
        out = io.BytesIO()
        Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "JPEG")
        out.seek(0)
        photo, _ = store_file(student, "photo", out, "p.jpg", size=len(out.getvalue()))
    moving = Student.objects.using("nairobi").get(registration_no="NBI-0002")
    (transfer,) = protocol.send(protocol.school_named("nairobi"), protocol.school_named("accra"), [moving],
                                protocol.Actor("operator", "nairobi"))
    from School.jobs.models import Job

    job = Job.objects.create(school="nairobi", kind="records.import", started_by="wanjiru")
    return {"pk": str(student.pk), "file": str(photo.pk), "key": str(transfer.key), "name": "nairobi", "job": str(job.pk)}


def url_of(route, values):
    """A concrete path for a route: its parameters filled with `values`' rows."""
    if route.startswith("files/"):
        route = route.replace("<str:pk>", values["file"])
    path = route.replace("<str:pk>", values["pk"]).replace("<uuid:key>", values["key"]).replace("<uuid:job_id>", values["job"])
    path = path.replace("<str:name>", values["name"]).replace("<slug:name>", "status")
    path = path.replace("<str:secret>", "x" * 43).replace("<uidb64>", "MQ").replace("<token>", "set-password")
    path = path.replace("<drf_format_suffix:format>", ".json")
    path = re.sub(r"\^(\w+)/\(\?P<pk>\[\^/\]\+\)", lambda m: f"{m.group(1)}/{values['pk']}", path)
    path = re.sub(r"\^(\w+)", r"\1", path)
    path = path.replace(r"\.(?P<format>[a-z0-9]+)/?$", ".json").replace("/$", "/")
    return "/" + path


def admin_objects():
    """{model label: (changelist URL, a Nairobi row's pk or None, action names)} for every model in the admin."""
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from School.documents.models import StudentFile
    from School.identity.models import Guardian
    from School.models import School, Student
    from School.security import audit
    from School.security.models import AuditEvent
    from School.security.tokens import create_token

    head = member("nairobi", "head", superuser=True)
    with tenant_context("nairobi"):
        rows = {
            Student: Student.objects.first(),
            get_user_model(): head,
            Group: Group.objects.get(name=SCHOOL_ADMINS),
            TOTPDevice: TOTPDevice.objects.create(user=head, name="phone", confirmed=True),
            StaticDevice: StaticDevice.objects.create(user=head, name="codes", confirmed=True),
            StudentFile: StudentFile.objects.first(),
            Guardian: Guardian.objects.create(name="Mary Kamau", phone="+254712345678"),
        }
        create_token(get_user_model().objects.get(username="wanjiru"), "script")
        from School.security.models import ApiToken

        rows[ApiToken] = ApiToken.objects.first()
        rows[AuditEvent] = audit.record(None, audit.EXPORT, username="operator")
    rows[School] = School.objects.using("default").get(name="nairobi")
    found = {}
    for model, model_admin in admin.site._registry.items():
        row = rows.get(model)
        actions = [name for name in (model_admin.actions or ()) if isinstance(name, str)] + ["delete_selected"]
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        found[model._meta.label] = (base, row.pk if row is not None else None, actions)
    return found
