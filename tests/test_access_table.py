"""Issue 30, "as a habit": every URL pattern and every admin page and action, tried by every role with every method.

ACCESS says, for each URL pattern, which methods are each role's own;
ADMIN_ACCESS, for each model in the admin, what each role may do there.
Everything else is refused (the sign-in page, 401, 403, 404 or 405) and
writes nothing in any school. A URL pattern or an admin model without its
row fails the build: adding a page means saying who may use it.

Run in the production profile (student data behind sign-in), at Nairobi:
its School admin, Registrar and Viewer, Accra's superuser bringing its
session to Nairobi, and an anonymous visitor.
"""

import pytest
from django.contrib import admin

from tests.access_walk import (
    METHODS, REFUSED, ROLES, admin_objects, fingerprint, objects, people, routes, url_of,
)

ALL = frozenset(METHODS)
GET = frozenset({"GET"})
STAFF = ("school admin", "registrar")
SIGNED_IN = ("school admin", "registrar", "viewer")


def row(methods=ALL, *roles, writes=frozenset()):
    """`methods` are `roles`' own (every role when none is named); `writes`: those that write when allowed (not run)."""
    return {"allowed": {role: frozenset(methods) for role in roles or ROLES}, "writes": frozenset(writes)}


def rows(*parts, writes=frozenset()):
    allowed = {}
    for roles, methods in parts:
        for role in roles:
            allowed[role] = frozenset(methods)
    return {"allowed": allowed, "writes": frozenset(writes)}


NOBODY = row(frozenset(), "school admin")
# The API's list: reads audited (a write), creating a write; the detail adds changes and deletion.
API_LIST = rows((STAFF, {"GET", "POST"}), (("viewer",), GET), writes={"GET", "POST"})
API_DETAIL = rows((("school admin",), {"GET", "PUT", "PATCH", "DELETE"}), (("registrar",), {"GET", "PUT", "PATCH"}),
                  (("viewer",), GET), writes={"GET", "PUT", "PATCH", "DELETE"})
API_ROOT = row(GET, *SIGNED_IN)
TRANSFER_STEP = row({"POST"}, "school admin", writes={"POST"})

ACCESS = {
    # Pages that read answer any method alike; the sign-in form for those without the right.
    "": row(),
    "students/export/": row(ALL, *STAFF, writes={"POST"}),  # POST: the export as a job
    "students/export/<uuid:job_id>/file": row(ALL, *STAFF),
    "students/export.csv": row(ALL, *STAFF, writes=ALL),  # audited
    "students/export.xlsx": row(ALL, *STAFF, writes=ALL),
    "students/import/": row(ALL, *STAFF, writes={"POST"}),
    # Photos and documents: the documents permissions, which no standard group carries.
    "students/photos/import/": NOBODY,
    "students/<str:pk>/files/": NOBODY,
    "files/<str:pk>/": row(ALL, *SIGNED_IN, writes=ALL),  # downloads are audited
    "files/<str:pk>/thumbnail": row(ALL, *SIGNED_IN),
    "files/<str:pk>/delete": NOBODY,
    "students/<str:pk>/": row(ALL, *STAFF, writes=ALL),  # audited
    "api/schema/": row(GET),
    r"api/^students/$": API_LIST,
    r"api/^students\.(?P<format>[a-z0-9]+)/?$": API_LIST,
    r"api/^students/(?P<pk>[^/]+)/$": API_DETAIL,
    r"api/^students/(?P<pk>[^/]+)\.(?P<format>[a-z0-9]+)/?$": API_DETAIL,
    # The school year's API: read by all who read students; classes created and changed, and an enrolment's
    # class changed, by School admins and Registrars (nothing deleted there).
    **{route.replace("students", name): spec for name, (list_spec, detail_spec) in {
        "years": (row(GET, *SIGNED_IN, writes=GET), row(GET, *SIGNED_IN, writes=GET)),
        "classes": (rows((STAFF, {"GET", "POST"}), (("viewer",), GET), writes={"GET", "POST"}),
                    rows((STAFF, {"GET", "PUT", "PATCH"}), (("viewer",), GET), writes={"GET", "PUT", "PATCH"})),
        "enrolments": (row(GET, *SIGNED_IN, writes=GET),
                       rows((STAFF, {"GET", "PUT", "PATCH"}), (("viewer",), GET), writes={"GET", "PUT", "PATCH"})),
    }.items() for route, spec in (
        (r"api/^students/$", list_spec), (r"api/^students\.(?P<format>[a-z0-9]+)/?$", list_spec),
        (r"api/^students/(?P<pk>[^/]+)/$", detail_spec), (r"api/^students/(?P<pk>[^/]+)\.(?P<format>[a-z0-9]+)/?$", detail_spec),
    )},
    "api/": API_ROOT,
    "api/<drf_format_suffix:format>": API_ROOT,
    "language/": row(ALL, *SIGNED_IN, writes={"POST"}),
    "healthz": row(),
    # The platform's pages: the default school's operators only, never at a school.
    "platform/": NOBODY,
    "platform/duplicates/": NOBODY,
    "platform/census.xlsx": NOBODY,
    "platform/charts/<slug:name>.svg": NOBODY,
    "platform/schools/<str:name>/backup": NOBODY,
    "platform/schools/<str:name>/resume": NOBODY,
    # Signing in, out and back: everyone's.
    "accounts/login/": row({"GET", "POST", "PUT"}),
    "accounts/login/code/": row(ALL, *SIGNED_IN),
    "accounts/logout/": row({"POST"}, writes={"POST"}),
    "accounts/two-factor/": row(ALL, *SIGNED_IN, writes=ALL),  # enrolment keeps a key
    "accounts/invitation/<str:secret>/": row({"GET", "POST"}),
    "accounts/password-reset/": row({"GET", "POST", "PUT"}),
    "accounts/password-reset/sent/": row(GET),
    "accounts/reset/<uidb64>/<token>/": row(),
    "api/tokens/": row({"POST"}),
    # Each school's branding: changed by its School admins; the logo and colours shown to anyone, sign-in pages included.
    "branding/": row({"GET", "POST"}, "school admin", writes={"POST"}),
    "branding/style/<slug:version>.css": row(),
    "branding/logo/<slug:digest>.<slug:extension>": row(),
    # Transfers: the School.transfer_student permission, the School admins' only.
    # The school's background jobs: its staff (School/jobs/).
    "jobs/": row(ALL, *STAFF),
    "jobs/<uuid:job_id>/": row(ALL, *STAFF),
    "transfers/": row(ALL, "school admin"),
    "transfers/send/": row(ALL, "school admin", writes={"POST"}),
    "transfers/<uuid:key>/cancel/": TRANSFER_STEP,
    "transfers/<uuid:key>/accept/": TRANSFER_STEP,
    "transfers/<uuid:key>/decline/": TRANSFER_STEP,
    # The school year's pages: class lists for the staff who see students; promotion day and the
    # ladder for the School admins (school_year.change_schoolyear and change_grade).
    "classes/": row(ALL, *STAFF),
    "classes/list/": row(ALL, *STAFF),
    "school-year/promotion/": row(ALL, "school admin", writes={"POST"}),
    "school-year/promotion/undo/": row({"POST"}, "school admin", writes={"POST"}),
    "school-year/grades/": row(ALL, "school admin", writes={"POST"}),
    # The register: registrars and School admins take any class's (Teachers their own, not a role here); today's
    # registers for those who read them (register.view_registertaken).
    "register/": row(ALL, *STAFF, writes={"POST"}),
    "register/today/": row(ALL, *STAFF),
    "register/sheet/": row(ALL, *STAFF),
    "register/settings/": row(ALL, "school admin", writes={"POST"}),  # register.change_registersettings
    # Groups other than a class (a trip, a team): made and changed by registrars and School admins
    # (register.change_registergroup), shown to a teacher in charge of one (not a role here).
    "register/groups/": row(ALL, *STAFF, writes={"POST"}),
    "register/groups/members/": row(ALL, *STAFF, writes={"POST"}),
    # Its API: the page's rules; a register read, or taken (a write).
    "api/registers/": rows((STAFF, {"GET", "POST"}), writes={"POST"}),
    # A student's attendance: those who read students, as the student's detail (a read, audited).
    "api/students/<str:pk>/attendance/": row(GET, *SIGNED_IN, writes=GET),
}

# In the admin: what the School admin and the Registrar may do; the others (no staff
# status, or no user of this school) are refused everything. "list" is the list, "open"
# an object's page, "add", "change", "delete" post those forms; other names are actions.
READS = {"list", "open"}
ADMIN_ACCESS = {
    "School.Student": {"school admin": {*READS, "add", "change", "delete", "delete_selected"},
                       "registrar": {*READS, "add", "change"}},
    "School.School": {},  # the registry: the default school's platform operators only
    "platform.PlatformYear": {},  # the platform calendar and national ladder: the registry's, likewise
    "platform.PlatformLadder": {},
    "axes.AccessAttempt": {"school admin": {*READS, "add", "change", "delete", "delete_selected", "cleanup_expired_attempts"}},
    "axes.AccessLog": {},
    "axes.AccessFailureLog": {},
    "security.ApiToken": {"school admin": {*READS, "change", "delete", "delete_selected", "revoke"}},
    "security.AuditEvent": {"school admin": READS},
    "documents.StudentFile": {},
    # The people who are guardians: registrars add and correct them (a student's guardians are edited on the student).
    "identity.Guardian": {"school admin": {*READS, "add", "change", "delete", "delete_selected"},
                          "registrar": {*READS, "add", "change"}},
    # The row tried is a superuser's: its account is seen, never changed; its second factor not even seen.
    "auth.User": {"school admin": {*READS, "add"}},
    "auth.Group": {"school admin": {*READS, "add", "change", "delete", "delete_selected"}},
    "otp_totp.TOTPDevice": {"school admin": {"list"}},
    "otp_static.StaticDevice": {"school admin": {"list"}},
    "accounts.Invitation": {"school admin": {*READS, "add", "resend", "revoke"}},
}


def test_every_url_pattern_and_admin_model_has_its_row():
    assert sorted(set(routes()) - set(ACCESS)) == [], "a URL pattern without its row in ACCESS"
    assert sorted(set(ACCESS) - set(routes())) == [], "a row in ACCESS for a URL pattern that no longer exists"
    registered = {model._meta.label for model in admin.site._registry}
    assert registered == set(ADMIN_ACCESS), "an admin model without its row in ADMIN_ACCESS (or a stale one)"


@pytest.fixture
def world(three_schools, settings):
    settings.STUDENT_DATA_REQUIRES_LOGIN = True
    clients = people()
    return clients, objects()


def test_every_role_is_refused_what_is_not_its_own_and_nothing_is_written(world):
    clients, values = world
    wrong = []
    for route, spec in ACCESS.items():
        path = url_of(route, values)
        before = fingerprint()
        for role in ROLES:
            allowed = spec["allowed"].get(role, frozenset())
            for method in METHODS:
                if method in allowed and method in spec["writes"]:
                    continue  # theirs, and it writes: the feature's own tests cover it
                status = clients[role].generic(method, path).status_code
                if status >= 500 or (method not in allowed and status not in REFUSED):
                    wrong.append(f"{role} {method} {path}: {status}")
                if method in allowed and method == "GET" and status in {401, 403}:
                    wrong.append(f"{role} {method} {path}: {status}, but ACCESS says it is theirs")
        if fingerprint() != before:
            wrong.append(f"{route}: something was written by a request that should write nothing")
    assert wrong == [], "\n".join(wrong)


def test_every_admin_page_and_action_refuses_what_is_not_the_roles_own(world):
    clients, _values = world
    targets = admin_objects()
    wrong = []
    for label, access in ADMIN_ACCESS.items():
        base, pk, actions = targets[label]
        before = fingerprint()
        for role in ROLES:
            own = access.get(role, set())
            client = clients[role]
            attempts = {
                "list": [("GET", base)],
                "open": [("GET", f"{base}{pk}/change/")] if pk else [],
                "add": [("POST", f"{base}add/", {})],
                "change": [("POST", f"{base}{pk}/change/", {})] if pk else [],
                "delete": [("POST", f"{base}{pk}/delete/", {"post": "yes"})] if pk else [],
                **{action: [("POST", base, {"action": action, "_selected_action": [pk], "post": "yes"})] for action in actions if pk},
            }
            for operation, requests in attempts.items():
                if operation in own and operation not in READS:
                    continue  # theirs, and it may write
                for method, url, *data in requests:
                    response = client.get(url) if method == "GET" else client.post(url, data[0])
                    status = response.status_code
                    # An action the user may not run is not offered: the list comes back, nothing run.
                    refused = status in REFUSED or (operation in actions and status == 200)
                    if status >= 500 or (operation not in own and not refused):
                        wrong.append(f"{role} {operation} {url}: {status}")
                    if operation in own and status != 200:
                        wrong.append(f"{role} may {operation} {url} but got {status}")
        if fingerprint() != before:
            wrong.append(f"{label}: something was written by a refused admin request")
    assert wrong == [], "\n".join(wrong)

