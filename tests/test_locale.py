"""Each school in its own language, time zone and date order (School/locale/, School/records/dates.py)."""

import datetime
import io
import secrets
import json
import re

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS
from django.test import Client
from django.utils import timezone, translation

from School.accounts import groups, second_factor
from School.accounts.invitations import digest
from School.accounts.models import Invitation
from School.connections import forget_alias
from School.documents.models import StudentFile
from School.context import tenant_context
from School.locale import catalogues, glossary
from School.locale.models import LanguagePreference
from School.models import School, Student
from School.transfers.models import Transfer
from School.records.files import StudentImport, export_lines
from School.records.table import StudentTableQuery
from School.transfers import protocol
from School.utils import school_by_name
from tests.accounts_helpers import body, smtp  # noqa: F401  (fixture)
from tests.conftest import ON_MONGODB
from tests.test_busy_writers import nairobi_file, write_lock_held
from tests.test_documents import jpeg, pdf, post_file, upload, zipped
from tests.student_rows import ROW_COLUMNS

PASSWORD = "correct horse battery staple"
HEADER = ",".join(ROW_COLUMNS)


def set_locale(name, **values):
    row = School.objects.using(DEFAULT_DB_ALIAS).get(name=name)
    for field, value in values.items():
        setattr(row, field, value)
    row.save()  # the registry's change log: this process forgets the school at once


def staff_client(school, host, username="clerk"):
    with tenant_context(school):
        get_user_model().objects.create_superuser(username, f"{username}@x.test", PASSWORD)
    client = Client(HTTP_HOST=host)
    assert client.post("/admin/login/?next=/admin/", {"username": username, "password": PASSWORD}).status_code == 302
    return client


def visible_text(response):
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


# Data, not our words, though they hold the msgid "School": the display names of tests.conftest.three_schools
# and the names of the groups every school starts with (stored in its database, shown as they are).
DATA_NAMES = re.compile("|".join(map(re.escape, (
    "Default School", "Nairobi School", "Accra Academy", groups.REGISTRARS, groups.VIEWERS, groups.SCHOOL_ADMINS))))


def english_left(text, language):
    """Our English source strings (those whose translation differs) still found in `text`."""
    text = DATA_NAMES.sub(" ", text)
    catalog = catalogues.read_catalog(catalogues.po_path(language), language)
    left = []
    for message in catalog:
        if not message.id:
            continue
        for source, translated in zip(
            message.id if isinstance(message.id, tuple) else (message.id,),
            message.string if isinstance(message.string, tuple) else (message.string,),
        ):
            if source == translated or "%" in source or len(source) < 4:
                continue
            if " " not in source and not source[0].isupper():
                continue  # single lower-case words (field names) also occur in data and Django's own text
            if re.search(rf"(?<!\w){re.escape(source)}(?!\w)", text):
                left.append(source)
    return left


# --- the registry and the command line --------------------------------------------


def test_schools_add_and_set_keep_the_locale_and_refuse_unknown_values(platform, run_cli):
    added = run_cli("schools", "add", "kisumu", "--host", "kisumu.localhost",
                    "--time-zone", "Africa/Nairobi", "--language", "sw", "--date-order", "dmy")
    assert added.returncode == 0, added.stderr
    for args, fragment in [
        (("--time-zone", "Africa/Narnia"), "unknown time zone 'Africa/Narnia'"),
        (("--time-zone", "../../etc/passwd"), "unknown time zone"),
        (("--language", "de"), "unknown language 'de': use one of en, fr, sw, pt"),
    ]:
        refused = run_cli("schools", "set", "kisumu", *args)
        assert refused.returncode == 2
        assert len(refused.stderr.strip().splitlines()) == 1 and fragment in refused.stderr, refused.stderr
    changed = run_cli("schools", "set", "kisumu", "--language", "fr", "--date-order", "mdy")
    assert changed.returncode == 0 and "language fr" in changed.stdout
    listed = {row["name"]: row for row in json.loads(run_cli("schools", "list", "--format", "json").stdout)}
    assert (listed["kisumu"]["language"], listed["kisumu"]["time_zone"], listed["kisumu"]["date_order"]) == (
        "fr", "Africa/Nairobi", "mdy")
    refused = run_cli("schools", "add", "eldoret", "--host", "eldoret.localhost", "--time-zone", "Mars/Olympus")
    assert refused.returncode == 2 and "unknown time zone" in refused.stderr
    assert "eldoret" not in {row["name"] for row in json.loads(run_cli("schools", "list", "--format", "json").stdout)}


def test_schools_import_takes_the_locale_columns(platform, tmp_path):
    from School.operations.bulk_import import FAILED, import_schools, read_rows

    path = tmp_path / "schools.csv"
    path.write_text("name,hosts,display_name,language,time_zone,date_order\n"
                    "dakar,dakar.localhost,Dakar,fr,Africa/Dakar,dmy\n"
                    "lome,lome.localhost,Lomé,fr,Africa/Atlantis,dmy\n"
                    "maputo,maputo.localhost,Maputo,,,\n")
    outcomes = []
    import_schools(read_rows(path), outcomes.append)
    assert [(o.school, o.status) for o in outcomes if o.status == FAILED] == [("lome", FAILED)]
    assert "unknown time zone 'Africa/Atlantis'" in outcomes[1].detail
    dakar, maputo = school_by_name("dakar"), school_by_name("maputo")
    assert (dakar.language, dakar.time_zone, dakar.date_order) == ("fr", "Africa/Dakar", "dmy")
    assert (maputo.language, maputo.time_zone, maputo.date_order) == ("en", "UTC", "iso")


def test_a_school_registered_before_gets_the_platform_defaults(platform, settings):
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    from School.utils import registry

    before = ("School", "0007_student_search_and_stamp")
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    executor.migrate([before])
    old_school = executor.loader.project_state(before).apps.get_model("School", "School")
    old_school.objects.using(DEFAULT_DB_ALIAS).create(name="legacy", display_name="Legacy")
    settings.SCHOOL_DEFAULT_LANGUAGE, settings.SCHOOL_DEFAULT_TIME_ZONE = "sw", "Africa/Nairobi"
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    executor.migrate(executor.loader.graph.leaf_nodes())
    registry.invalidate()
    school = school_by_name("legacy")
    assert (school.language, school.time_zone, school.date_order) == ("sw", "Africa/Nairobi", "iso")


# --- requests ---------------------------------------------------------------------


def test_each_request_activates_its_schools_language_and_zone_and_resets_them(three_schools):
    set_locale("nairobi", language="fr", time_zone="Africa/Nairobi")
    page = Client(HTTP_HOST="nairobi.localhost").get("/")
    body = page.content.decode()
    assert '<html lang="fr">' in body and "Élèves" in body and "5 élèves" in body
    assert translation.get_language() == "en-us" or translation.get_language() in ("en", None)
    assert timezone.get_current_timezone_name() == "UTC"
    accra = Client(HTTP_HOST="accra.localhost").get("/").content.decode()
    assert '<html lang="en">' in accra and "7 students" in accra


def test_the_staff_links_follow_each_requests_language_in_one_worker(three_schools):
    # Drawn once per language and kept (School/context_processors.py StaffLinks): never another language's.
    client = staff_client("nairobi", "nairobi.localhost")
    for language, words in (("fr", "Options d'exportation"), ("en", "Export options"), ("sw", "Chaguo za kutengeneza faili"),
                            ("fr", "Options d'exportation")):
        set_locale("nairobi", language=language)
        for path in ("/", "/students/import/"):  # a Jinja2 page and a Django one
            nav = re.search(r'<nav class="admin-link">(.*?)</nav>', client.get(path).content.decode(), re.S).group(1)
            assert f'<a href="/students/export/">{words}</a>' in nav, (language, path, nav)
    assert 'href="/classes/"' not in Client(HTTP_HOST="nairobi.localhost").get("/").content.decode()


def test_cookies_and_accept_language_cannot_change_the_schools_language(three_schools):
    set_locale("nairobi", language="sw")
    client = Client(HTTP_HOST="nairobi.localhost", HTTP_ACCEPT_LANGUAGE="xx-klingon, fr;q=0.9")
    client.cookies["django_language"] = "../../etc/passwd"
    response = client.get("/")
    assert response.status_code == 200 and "Wanafunzi" in response.content.decode()


def account_pages(staff, language):
    """The pages of School/accounts/ (sign-in steps, password reset, invitations, second factor)."""
    anonymous = Client(HTTP_HOST="nairobi.localhost")
    secret = secrets.token_urlsafe(32)
    with tenant_context("nairobi"):
        Invitation.objects.create(
            email=f"new_{language}@nairobi.test", digest=digest(secret), expires_at=timezone.now() + datetime.timedelta(hours=1)
        )
        holder = get_user_model().objects.create_user(f"holder_{language}", f"holder_{language}@x.test", PASSWORD)
        recovery_code = second_factor.enrol(holder, second_factor.new_key(), 0)[0]
    pages = {
        "password reset": anonymous.get("/accounts/password-reset/"),
        "password reset sent": anonymous.get("/accounts/password-reset/sent/"),
        "password reset link refused": anonymous.get("/accounts/reset/MQ/forged-token/"),
        "invitation": anonymous.get(f"/accounts/invitation/{secret}/"),
        "invitation refused": anonymous.get("/accounts/invitation/no-such-link/"),
        "second-factor enrolment": staff.get("/accounts/two-factor/"),
        "second-factor enrolment, wrong code": staff.post("/accounts/two-factor/", {"code": "x"}),
        "admin invitations": staff.get("/admin/accounts/invitation/"),
    }
    holding = Client(HTTP_HOST="nairobi.localhost")
    assert holding.post("/accounts/login/", {"username": holder.username, "password": PASSWORD}).url == "/accounts/login/code/"
    pages["second-factor code"] = holding.get("/accounts/login/code/")
    pages["second-factor code, wrong"] = holding.post("/accounts/login/code/", {"code": "x"})
    assert holding.post("/accounts/login/code/", {"code": recovery_code}).status_code == 302
    pages["second factor on"] = holding.get("/accounts/two-factor/")
    pages["new recovery codes"] = holding.post("/accounts/two-factor/", {"action": "recovery"})
    return pages


def transfers_both_ways():
    """Nairobi's transfers in every state its pages show: sent (pending, accepted, declined) and received
    (waiting for its answer, accepted with the history the record carried). The students' ids at nairobi."""
    nairobi, accra = protocol.school_named("nairobi"), protocol.school_named("accra")

    def student(school, number):
        with tenant_context(school.name):
            return Student.objects.get(registration_no=number)

    def send(source, target, number):
        return protocol.send(source, target, [student(source, number)], protocol.Actor("registrar", source.name),
                             "asthma: inhaler in bag")[0].key

    send(nairobi, accra, "NBI-0002")
    protocol.accept(accra, [send(nairobi, accra, "NBI-0003")], protocol.Actor("kofi", "accra"))
    protocol.decline(accra, send(nairobi, accra, "NBI-0004"), protocol.Actor("kofi", "accra"), "class full")
    send(accra, nairobi, "ACC-0001")
    with tenant_context("accra"):
        arriving = Student.objects.get(registration_no="ACC-0002")
        LogEntry.objects.create(
            user=get_user_model().objects.create_user("kofi"), content_type=ContentType.objects.get_for_model(Student),
            object_id=str(arriving.pk), object_repr=str(arriving), action_flag=CHANGE, change_message="")
    protocol.accept(nairobi, [send(accra, nairobi, "ACC-0002")], protocol.Actor("registrar", "nairobi"))
    return {name: student(nairobi, number).pk for name, number in
            [("pending", "NBI-0002"), ("out", "NBI-0003"), ("in", "ACC-0002")]}


def transfer_pages(client, students):
    """The pages of School/transfers/ and what they add to the students' pages, seen by nairobi's staff."""
    accepted = Transfer.objects.using(DEFAULT_DB_ALIAS).get(target="nairobi", state="accepted").key
    pages = {
        "transfer send": client.get("/transfers/send/"),
        "transfer send refused": client.post("/transfers/send/", {"student": [students["pending"]], "to": "accra"}),
        "transfer send, no student": client.post("/transfers/send/", {"to": "accra"}),
        "transfers": client.get("/transfers/"),
        "transfer accepted twice": client.post(f"/transfers/{accepted}/accept/"),
        "student being transferred": client.get(f"/students/{students['pending']}/"),
        "student transferred out": client.get(f"/students/{students['out']}/"),
        "student transferred in": client.get(f"/students/{students['in']}/"),
        "table, transferred": client.get("/", {"status": "transferred"}),
    }
    body = pages["transfers"].content.decode()
    assert 'id="incoming"' in body and 'id="outgoing"' in body and 'id="arrived"' in body
    assert 'id="transferred-out"' in pages["student transferred out"].content.decode()
    assert 'id="carried-history"' in pages["student transferred in"].content.decode()
    return pages


def document_pages(client, student_pk):
    """The pages of School/documents/: a student with a photo and a document (and the upload form),
    a refused upload's message, photo day with its report, and the admin's student files."""
    gif = b"GIF89a" + b"\x00" * 40
    assert post_file(client, student_pk, "photo.jpg", jpeg(), kind="photo").status_code == 200
    stored = post_file(client, student_pk, "bulletin.pdf", pdf())
    archive = upload("photo-day.zip", zipped({"NBI-0001.jpg": jpeg(), "nobody.jpg": jpeg(), "NBI-0001.png": b"not a photo"}))
    refused_in_admin = upload("x.gif", gif)
    pages = {
        "student with files": stored,
        "upload refused": post_file(client, student_pk, "x.gif", gif),
        "photo day": client.get("/students/photos/import/"),
        "photo day report": client.post("/students/photos/import/", {"archive": archive}, follow=True),
        "admin student files": client.get("/admin/documents/studentfile/"),
        "admin student file add, refused": client.post(
            "/admin/documents/studentfile/add/", {"student": student_pk, "kind": "report", "upload": refused_in_admin}),
    }
    with tenant_context("nairobi"):
        pages["admin student file"] = client.get(
            f"/admin/documents/studentfile/{StudentFile.objects.filter(student_id=student_pk).first().pk}/change/")
    shown = pages["student with files"].content.decode()
    assert 'id="student-photo"' in shown and "bulletin.pdf" in shown and 'id="file-upload"' in shown
    assert "x.gif" in pages["upload refused"].content.decode()  # only its refusal message names it
    assert 'class="errorlist' in pages["admin student file add, refused"].content.decode()
    report = pages["photo day report"].content.decode()
    assert 'class="unmatched"' in report and 'class="refused"' in report
    return pages


def busy_page(client, settings):
    """The 503 page of a write that waited too long for another writer's lock (SQLite only: a file lock)."""
    usual, settings.SCHOOL_SQLITE_BUSY_TIMEOUT = settings.SCHOOL_SQLITE_BUSY_TIMEOUT, 0.3
    forget_alias("nairobi")  # configured again with the short timeout
    client.raise_request_exception = False  # the test client would re-raise what the 503 page answers
    with write_lock_held(nairobi_file()):
        response = client.post("/language/", {"language": "en"})
    client.raise_request_exception = True
    settings.SCHOOL_SQLITE_BUSY_TIMEOUT = usual
    forget_alias("nairobi")
    assert response.status_code == 503 and "Retry-After" in response
    return response


def count_for_the_platform_dashboard():
    """Figures for every school, accra's with problems of each kind the health table words."""
    from School.platform import dashboard
    from School.platform.figures import recount
    from School.platform.models import SchoolFigures

    for name in ("default", "nairobi", "accra"):
        recount(name)
    SchoolFigures.objects.using(DEFAULT_DB_ALIAS).filter(school__name="accra").update(
        pending_migrations=2, unreachable_at=timezone.now(), unreachable_error="timed out")
    dashboard.forget()


def platform_pages(client, language):
    """The platform dashboard (School/platform/), one of its charts and the admin's link to it, seen by a superuser
    of `default`. The dashboard's figures are kept across requests: its words must still follow each request's language."""
    pages = {
        "platform dashboard": client.get("/platform/"),
        "platform chart": client.get("/platform/charts/classes.svg"),
        "platform admin index": client.get("/admin/"),
    }
    with translation.override(language):
        words = [
            translation.gettext("last backup %(when)s") % {"when": translation.gettext("never")},
            translation.gettext("%(count)s migrations not applied (as of %(when)s)").split("%(count)s")[1].split("(")[0].strip(),
        ]
        in_the_chart = [translation.gettext("Students by class"), translation.gettext("Active")]  # title, legend
    dashboard = visible_text(pages["platform dashboard"])
    assert all(word in dashboard for word in words), (language, words, dashboard)
    chart = visible_text(pages["platform chart"])
    assert all(word in chart for word in in_the_chart), (language, in_the_chart, chart)
    assert 'href="/platform/"' in pages["platform admin index"].content.decode()
    return pages


def test_every_page_is_translated_into_each_language(three_schools, tmp_path, settings):
    count_for_the_platform_dashboard()
    with tenant_context("nairobi"):
        student = Student.objects.get(registration_no="NBI-0001")
    transferred = transfers_both_ways()
    for language in catalogues.translated_languages():
        set_locale("nairobi", language=language)
        client = staff_client("nairobi", "nairobi.localhost", f"clerk_{language}")
        upload = io.BytesIO(f"{HEADER}\nK/1,Akinyi,Otieno,2010-01-05,,,,,\n".encode())
        upload.name = "students.csv"
        bad = io.BytesIO(f"{HEADER}\nK/1,Akinyi,Otieno,31/02/2012,,,,,\n".encode())
        bad.name = "bad.csv"
        pages = {
            "table": client.get("/"),
            "empty search": client.get("/", {"q": "nobody"}),
            "student": client.get(f"/students/{student.pk}/"),
            "import": client.get("/students/import/"),
            "preview": client.post("/students/import/", {"file": upload}),
            "preview with errors": client.post("/students/import/", {"file": bad}),
            "export": client.get("/students/export/"),
            "language": client.get("/language/"),
            "not found": client.get("/no/such/page/"),
            "sign-in": Client(HTTP_HOST="nairobi.localhost").get("/accounts/login/"),
            "admin sign-in": Client(HTTP_HOST="nairobi.localhost").get("/admin/login/"),
            "branding": client.get("/branding/"),
            "branding refused": client.post("/branding/", {"primary": "#777777", "accent": "#ffffff"}),
            **account_pages(client, language),
            "admin student": client.get(f"/admin/School/student/{student.pk}/change/"),
            "admin history": client.get(f"/admin/School/student/{student.pk}/history/"),
            "audit trail": client.get("/admin/security/auditevent/"),
            "api tokens": client.get("/admin/security/apitoken/"),
            **transfer_pages(client, transferred),
            **document_pages(client, student.pk),
        }
        if not ON_MONGODB:
            pages["busy"] = busy_page(client, settings)
        set_locale("nairobi", suspended=True)
        pages["suspended"] = Client(HTTP_HOST="nairobi.localhost").get("/")
        set_locale("nairobi", suspended=False)
        set_locale("default", language=language)
        root = platform_admin(f"root_{language}")
        pages["platform admin school"] = root.get(
            f"/admin/School/school/{School.objects.using(DEFAULT_DB_ALIAS).get(name='accra').pk}/change/")
        pages.update(platform_pages(root, language))
        assert 'href="/accounts/password-reset/"' in pages["sign-in"].content.decode()
        for name, response in pages.items():
            assert response.status_code in (200, 400, 404, 410, 503), (language, name, response.status_code)
            left = english_left(visible_text(response), language)
            assert not left, f"{language} {name}: English left: {left}"


def test_times_show_in_the_schools_zone_and_language_and_stay_utc_in_the_api(three_schools):
    set_locale("nairobi", language="fr", time_zone="Africa/Nairobi")
    moment = datetime.datetime(2026, 1, 1, 21, 30, tzinfo=datetime.timezone.utc)
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no="NBI-0001").update(
            updated_at=moment, date_of_birth=datetime.date(2012, 3, 5))
        student = Student.objects.get(registration_no="NBI-0001")
    client = staff_client("nairobi", "nairobi.localhost")
    text = visible_text(client.get(f"/students/{student.pk}/"))
    assert "5 mars 2012" in text  # the date in the language's format
    assert "2 janvier 2026 00:30" in text and "Africa/Nairobi" in text  # 21:30 UTC is past midnight in Nairobi
    history = visible_text(client.get(f"/admin/School/student/{student.pk}/change/"))
    assert "Modifier" in history or "Enregistrer" in history  # Django's own French in the admin
    api = client.get(f"/api/students/{student.pk}/").json()
    assert api["updated_at"] in ("2026-01-01T21:30:00Z", "2026-01-01T21:30:00+00:00")


def test_a_user_keeps_a_language_of_their_own_in_their_schools_database(three_schools):
    client = staff_client("nairobi", "nairobi.localhost")
    assert client.post("/language/", {"language": "pt"}).status_code == 302
    assert "Alunos" in client.get("/").content.decode()
    with tenant_context("nairobi"):
        assert LanguagePreference.objects.get().language == "pt"
    with tenant_context("accra"):
        assert not LanguagePreference.objects.exists()
    assert "Students" in Client(HTTP_HOST="nairobi.localhost").get("/").content.decode()  # others: the school's
    again = Client(HTTP_HOST="nairobi.localhost")
    again.post("/admin/login/?next=/admin/", {"username": "clerk", "password": PASSWORD})
    assert "Alunos" in again.get("/").content.decode()  # kept across sign-ins
    assert client.post("/language/", {"language": "tlh"}).status_code == 400
    assert client.post("/language/", {"language": ""}).status_code == 302  # back to the school's
    assert "Students" in client.get("/").content.decode()


def platform_admin(username="root"):
    with tenant_context("default"):
        get_user_model().objects.create_superuser(username, "root@x.test", PASSWORD)
    client = Client(HTTP_HOST="localhost")
    client.post("/admin/login/?next=/admin/", {"username": username, "password": PASSWORD})
    return client


def test_the_platform_admin_sets_the_locale_and_refuses_a_forged_time_zone(three_schools):
    client = platform_admin()
    pk = School.objects.using(DEFAULT_DB_ALIAS).get(name="accra").pk
    form = {"display_name": "Accra Academy", "language": "fr", "time_zone": "Africa/Accra", "date_order": "dmy",
            "hosts-TOTAL_FORMS": "0", "hosts-INITIAL_FORMS": "0"}
    forged = client.post(f"/admin/School/school/{pk}/change/", {**form, "time_zone": "Africa/../../etc/passwd"})
    assert forged.status_code == 200 and "errorlist" in forged.content.decode()
    assert school_by_name("accra").time_zone == "UTC"
    saved = client.post(f"/admin/School/school/{pk}/change/", form)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    school = school_by_name("accra")
    assert (school.language, school.time_zone, school.date_order) == ("fr", "Africa/Accra", "dmy")


# --- files --------------------------------------------------------------------------


def read_dates(tmp_path, rows, order):
    path = tmp_path / "students.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    return StudentImport(path, date_order=order).check(), path


@pytest.mark.parametrize(("order", "expected"), [("dmy", datetime.date(2012, 3, 5)), ("mdy", datetime.date(2012, 5, 3))])
def test_import_reads_dates_in_the_schools_order(three_schools, tmp_path, order, expected):
    path = tmp_path / "students.csv"
    path.write_text(f"{HEADER}\nK/1,Akinyi,Otieno,05/03/2012,,2020-01-06,,,\n")
    with tenant_context("nairobi"):
        report = StudentImport(path, date_order=order).apply()
        assert report.ok, report.errors
        assert Student.objects.get(registration_no="K/1").date_of_birth == expected
        assert Student.objects.get(registration_no="K/1").enrolment_date == datetime.date(2020, 1, 6)


def test_impossible_and_mixed_dates_are_refused_with_their_lines(three_schools, tmp_path):
    with tenant_context("nairobi"):
        report, _ = read_dates(tmp_path, ["K/1,A,B,31/02/2012,,,,,"], "dmy")
        assert not report.ok and "there is no such day" in str(report.errors[0])
        report, _ = read_dates(tmp_path, ["K/1,A,B,05/03/2012,,,,,"], "iso")
        assert not report.ok and "write it as YYYY-MM-DD" in str(report.errors[0])
        report, _ = read_dates(tmp_path, ["K/1,A,B,13/01/2012,,,,,", "K/2,C,D,05/03/2012,,,,,", "K/3,E,F,01/13/2012,,,,,"], "mdy")
        mixed = [str(error) for error in report.errors if "mixes date orders" in str(error)]
        assert mixed and "lines 2 " in mixed[0] and "lines 4 " in mixed[0], report.errors
        assert Student.objects.filter(registration_no__startswith="K/").count() == 0


def test_xlsx_dates_are_dates_whatever_the_order(three_schools, tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(ROW_COLUMNS)
    sheet.append(["K/1", "Akinyi", "Otieno", datetime.date(2012, 3, 5), "", "", "", "", ""])
    workbook.save(tmp_path / "s.xlsx")
    with tenant_context("nairobi"):
        report = StudentImport(tmp_path / "s.xlsx", date_order="mdy").apply()
        assert report.ok and Student.objects.get(registration_no="K/1").date_of_birth == datetime.date(2012, 3, 5)


def test_the_preview_names_the_date_order_and_export_writes_local_dates_on_request(three_schools, run_cli):
    set_locale("nairobi", date_order="dmy")
    client = staff_client("nairobi", "nairobi.localhost")
    upload = io.BytesIO(f"{HEADER}\nK/1,Akinyi,Otieno,05/03/2012,,,,,\n".encode())
    upload.name = "students.csv"
    assert "day first (DD/MM/YYYY)" in client.post("/students/import/", {"file": upload}).content.decode()
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no="NBI-0001").update(date_of_birth=datetime.date(2012, 3, 5))
        assert ",2012-03-05," in "".join(export_lines(StudentTableQuery().queryset()))
    local = client.get("/students/export.csv", {"dates": "local"})
    assert ",05/03/2012," in b"".join(local.streaming_content).decode()
    chosen = client.get("/students/export/", {"format": "csv", "dates": "local"})
    assert chosen.status_code == 302 and "dates=local" in chosen["Location"]
    cli = run_cli("nairobi", "export_students", "--dates", "local")
    assert cli.returncode == 0 and ",05/03/2012," in cli.stdout
    assert ",2012-03-05," in run_cli("nairobi", "export_students").stdout


def test_backups_carry_the_locale(three_schools, tmp_path):
    from School.operations.backups import write_backup
    from School.operations.restore import restore_as

    set_locale("nairobi", language="sw", time_zone="Africa/Nairobi", date_order="dmy")
    school = school_by_name("nairobi")
    with tenant_context(school):
        write_backup(school, tmp_path / "nairobi.jsonl.gz")
    restored = restore_as(tmp_path / "nairobi.jsonl.gz", "nairobi_copy", ["copy.localhost"])
    assert (restored.language, restored.time_zone, restored.date_order) == ("sw", "Africa/Nairobi", "dmy")


def test_catalogues_are_complete_and_compiled():
    """Every marked string is extracted and translated, and the committed .mo files match the .po files."""
    assert catalogues.problems() == []


# --- the words themselves: the glossary, French typography ----------------------------


def test_export_transfer_and_download_are_three_words_in_every_language(three_schools):
    """A registrar must tell a list written to a file from children's records sent to another school."""
    with tenant_context("nairobi"):
        student = Student.objects.get(registration_no="NBI-0001")
    said = {}
    for language in catalogues.translated_languages():
        set_locale("nairobi", language=language)
        client = staff_client("nairobi", "nairobi.localhost", f"clerk_{language}")
        with translation.override(language):
            words = {"export": translation.gettext("Export CSV"), "transfer": translation.gettext("Transfer these students…"),
                     "download": translation.gettext("Download"), "clear": translation.pgettext("search form: remove the filters", "Clear"),
                     "delete": translation.pgettext("a student's document", "Delete")}
        table = visible_text(client.get("/", {"q": "a"}))
        assert words["export"] in table and words["transfer"] in table and words["clear"] in table, (language, words)
        assert words["download"] in visible_text(client.get("/students/export/")), (language, words)
        post_file(client, student.pk, "bulletin.pdf", pdf())
        assert words["delete"] in visible_text(client.get(f"/students/{student.pk}/")), (language, words)
        first = {key: word.split()[0].lower() for key, word in words.items()}
        assert len(set(first.values())) == len(first), (language, words)  # five actions, five verbs
        said[language] = words
    assert (said["sw"]["export"], said["sw"]["transfer"]) == ("Tengeneza faili la CSV", "Hamisha wanafunzi hawa…")
    assert said["pt"]["download"] == "Descarregar" and said["pt"]["transfer"].startswith("Transferir")


def test_french_punctuation_keeps_its_space_on_the_same_line(three_schools):
    set_locale("nairobi", language="fr")
    sign_in = visible_text(Client(HTTP_HOST="nairobi.localhost").get("/accounts/login/"))
    assert "Mot de passe oublié\u202f?" in sign_in
    assert not re.search(r" [;:?!»]|« ", sign_in), sign_in  # no ordinary space a line could break at
    # The build sets the spaces, whatever a translator typed; it leaves what is no punctuation of prose alone.
    assert catalogues.typeset("fr", "Lu comme : « x » ; prêt ? Oui !") == (
        "Lu comme\u00a0: «\u00a0x\u00a0»\u202f; prêt\u202f? Oui\u202f!")
    assert catalogues.typeset("fr", "/admin/login/?next=/ à 10:30") == "/admin/login/?next=/ à 10:30"
    assert catalogues.typeset("pt", "Lido como : x") == "Lido como : x"


def test_every_catalogue_says_each_glossary_term_with_its_one_word():
    terms = glossary.load(catalogues.GLOSSARY_FILE)
    assert {"student", "transfer", "export", "download", "host", "register", "school year"} <= set(terms)
    for language in catalogues.translated_languages():
        assert set(terms) == {term for term, words in terms.items() if language in words}, language
        catalog = catalogues.read_catalog(catalogues.po_path(language), language)
        assert glossary.problems(terms, language, catalog) == [], language


def test_the_glossary_check_finds_a_term_said_otherwise_and_two_terms_said_alike(tmp_path):
    from babel.messages.catalog import Catalog

    terms = glossary.load(catalogues.GLOSSARY_FILE)
    swahili = Catalog(locale="sw")
    swahili.add("Export students", "Hamisha wanafunzi")  # what the catalogue said before: the transfer's word
    swahili.add("Transfer students", "Hamisha wanafunzi")
    swahili.add("%(count)s host", "Wapangishaji %(count)s")  # the placeholder %(host)s is no use of the word
    swahili.add("No school is served at %(host)s.", "Hakuna shule inayopatikana kwenye %(host)s.")
    found = glossary.problems(terms, "sw", swahili)
    assert len(found) == 2, found
    assert "'Export students' uses 'export'" in found[0] and "'tengeneza faili'" in found[0]
    assert "'%(count)s host' uses 'host'" in found[1]

    alike = tmp_path / "glossary.csv"
    alike.write_text(catalogues.GLOSSARY_FILE.read_text(encoding="utf-8").replace(
        "export,sw,tengeneza faili,tengene[zw]", "export,sw,hamisha,hamish"), encoding="utf-8")
    found = glossary.problems(glossary.load(alike), "sw", Catalog(locale="sw"))
    assert found == ["sw: glossary: 'export' and 'transfer' are the same word ('hamisha', 'uhamisho')"]


def test_a_change_made_by_another_process_is_followed_within_the_ttl(three_schools, run_cli):
    from tests.conftest import outlive_registry_ttl

    client = Client(HTTP_HOST="nairobi.localhost")
    assert "Students" in client.get("/").content.decode()  # cached by this process
    changed = run_cli("schools", "set", "nairobi", "--language", "pt", "--time-zone", "America/Sao_Paulo")
    assert changed.returncode == 0, changed.stderr
    outlive_registry_ttl()
    assert "Alunos" in client.get("/").content.decode()
    assert school_by_name("nairobi").time_zone == "America/Sao_Paulo"


def test_commands_stay_english_whatever_the_schools_language(three_schools, run_cli, tmp_path):
    set_locale("nairobi", language="fr", date_order="dmy")
    path = tmp_path / "students.csv"
    path.write_text(f"{HEADER}\nK/1,Akinyi,Otieno,31/02/2012,,,,,\n")
    result = run_cli("nairobi", "import_students", str(path), "--dry-run")
    assert result.returncode == 2
    assert "bad date '31/02/2012': there is no such day" in result.stderr
    assert "dates day first (DD/MM/YYYY)" in result.stdout


def test_mail_goes_out_in_the_schools_language_whoever_sends_it(three_schools, smtp, run_cli):
    set_locale("nairobi", language="fr")
    mail_env = {"EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}", "DEFAULT_FROM_EMAIL": "records@school.test"}
    result = run_cli("nairobi", "invite", "awino@nairobi.test", env=mail_env)
    assert result.returncode == 0 and "Invited awino@nairobi.test" in result.stdout, result.stderr  # the command: English
    invitation = smtp.wait_for(1)
    assert invitation["Subject"].strip() == "Invitation à consulter les dossiers des élèves de Nairobi School"
    assert re.search(r"Nairobi School vous invite .*\(il ne fonctionne qu'une fois, pendant \d+ heures\)", body(invitation), re.S)
    assert not english_left(body(invitation), "fr")

    set_locale("nairobi", language="sw")
    admin = staff_client("nairobi", "nairobi.localhost")
    assert admin.post("/language/", {"language": "en"}).status_code == 302  # the admin reads English
    page = admin.post("/admin/accounts/invitation/add/", {"email": "baraka@nairobi.test"}, follow=True).content.decode()
    assert "Invitation sent to baraka@nairobi.test." in page  # once the admin's transaction committed
    invitation = smtp.wait_for(2)
    assert invitation["Subject"].strip() == "Umealikwa kwenye kumbukumbu za wanafunzi za Nairobi School"
    assert not english_left(body(invitation), "sw")

    set_locale("nairobi", language="pt")
    with tenant_context("nairobi"):
        get_user_model().objects.create_user("ana", "ana@nairobi.test", PASSWORD)
    sent = Client(HTTP_HOST="nairobi.localhost").post("/accounts/password-reset/", {"email": "ana@nairobi.test"})
    assert sent.status_code == 302
    reset = smtp.wait_for(3)
    assert reset["Subject"].strip() == "A sua palavra-passe em Nairobi School"
    assert "Olá ana," in body(reset) and not english_left(body(reset), "pt")


def test_the_tables_fixed_texts_are_translated_when_its_template_is_compiled_not_on_each_request():
    """`_("...")` and `pgettext("...", "...")` of literals become text in the template compiled for a language."""
    from django.template import engines

    environment = engines["jinja2"].env
    with translation.override("fr"):
        source = environment.for_language("fr").compile(
            '{{ _("Students") }}|{{ pgettext("search form: remove the filters", "Clear") }}|{{ ngettext("%(num)s student", "%(num)s students", n) }}',
            raw=True,
        )
        rendered = environment.for_language("fr").from_string(
            '{{ pgettext("search form: remove the filters", "Clear") }}|{{ _("Students") }}'
        ).render()
    assert "Effacer les filtres" in source and "pgettext" not in source
    assert "ngettext" in source  # a plural depends on the count: still translated when rendered
    assert rendered == "Effacer les filtres|Élèves"
