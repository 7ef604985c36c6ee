"""A student's photo and documents (issue 22): stored in the school's own storage, checked, served privately."""

import hashlib
import io
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import Image

from School.context import tenant_context
from School.documents.inspection import safe_display_name
from School.documents.models import StorageUsage, StudentFile
from School.documents.storage import storage_for
from School.models import Student
from School.security.models import AuditEvent
from tests.test_student_access import PASSWORD, signed_in

NAIROBI = "nairobi.localhost"


# --- files a registrar might upload -------------------------------------------------


def jpeg(size=(400, 300), orientation=None, gps=False, color=(200, 30, 30)):
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "S", 2: (1.0, 17.0, 30.0), 3: "E", 4: (36.0, 49.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png(size=(64, 48)):
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 0, 128)).save(out, "PNG")
    return out.getvalue()


def webp(size=(64, 48)):
    out = io.BytesIO()
    Image.new("RGB", size, (0, 0, 200)).save(out, "WEBP")
    return out.getvalue()


def pdf(pages=1):
    out = io.BytesIO()
    images = [Image.new("RGB", (200, 280), (255, 255, 255)) for _ in range(pages)]
    images[0].save(out, "PDF", save_all=True, append_images=images[1:])
    return out.getvalue()


def zipped(members):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def upload(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


# --- people ---------------------------------------------------------------------------


def make_user(school, username, perms=("School.view_student",), staff=False):
    with tenant_context(school):
        user = get_user_model().objects.create_user(username, "", PASSWORD, is_staff=staff)
        for perm in perms:
            app, codename = perm.split(".")
            user.user_permissions.add(Permission.objects.get(content_type__app_label=app, codename=codename))
        return user


REGISTRAR_PERMS = ("School.view_student", "documents.add_studentfile", "documents.delete_studentfile")


@pytest.fixture
def school(three_schools):
    """Nairobi with a registrar (upload, delete), a teacher (view only) and a caretaker (no view)."""
    make_user("nairobi", "registrar", REGISTRAR_PERMS, staff=True)
    make_user("nairobi", "teacher")
    make_user("nairobi", "caretaker", perms=())
    make_user("accra", "kofi", REGISTRAR_PERMS, staff=True)
    with tenant_context("nairobi"):
        Student.objects.create(registration_no="NBI/2021/012", first_name="Wanjiru", second_name="Kamau")
    return three_schools


def student(number="NBI-0001", school_name="nairobi"):
    with tenant_context(school_name):
        return Student.objects.get(registration_no=number)


def post_file(client, student_pk, name, data, kind="report", title=""):
    return client.post(
        f"/students/{student_pk}/files/", {"kind": kind, "title": title, "file": upload(name, data)}, follow=True
    )


def files_of(school_name="nairobi"):
    with tenant_context(school_name):
        return list(StudentFile.objects.order_by("pk"))


def stored_keys(school_name="nairobi"):
    with tenant_context(school_name):
        return sorted(storage_for(school_name).keys())


def body_of(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- upload, see, replace, delete -----------------------------------------------------


def test_a_photo_is_stored_upright_without_exif_and_shown_only_to_the_schools_users(school):
    registrar = signed_in(NAIROBI, "registrar")
    original = jpeg(orientation=6, gps=True)  # taken sideways, with the place in it
    page = post_file(registrar, student().pk, "NBI-0001.jpg", original, kind="photo").content.decode()
    [photo] = files_of()
    assert photo.kind == "photo" and photo.uploaded_by == "registrar" and photo.content_type == "image/jpeg"
    assert f'src="/files/{photo.pk}/thumbnail"' in page

    response = registrar.get(f"/files/{photo.pk}/")
    served = body_of(response)
    assert served != original and hashlib.sha256(served).hexdigest() == photo.sha256
    image = Image.open(io.BytesIO(served))
    assert image.size == (300, 400)  # the orientation was applied...
    assert not image.getexif() and b"Exif" not in served[:200]  # ...and the EXIF, GPS included, removed
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert "private" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith("inline")
    thumbnail = registrar.get(f"/files/{photo.pk}/thumbnail")
    assert thumbnail.status_code == 200 and max(Image.open(io.BytesIO(body_of(thumbnail))).size) <= 240

    with tenant_context("nairobi"):
        actions = list(AuditEvent.objects.order_by("pk").values_list("action", "file_name"))
    assert ("file_upload", "NBI-0001.jpg") in actions and ("file_download", "NBI-0001.jpg") in actions


def test_files_are_404_for_everyone_else_after_sign_out_and_on_another_schools_host(school):
    registrar = signed_in(NAIROBI, "registrar")
    post_file(registrar, student().pk, "letter.pdf", pdf(), kind="transfer_letter")
    [document] = files_of()
    url = f"/files/{document.pk}/"
    assert signed_in(NAIROBI, "teacher").get(url).status_code == 200
    assert signed_in(NAIROBI, "caretaker").get(url).status_code == 404
    assert Client(HTTP_HOST=NAIROBI).get(url).status_code == 404
    assert signed_in("accra.localhost", "kofi").get(url).status_code == 404
    # Nairobi's session cookie, sent to Accra's host, is nobody there.
    stolen = Client(HTTP_HOST="accra.localhost")
    stolen.cookies = registrar.cookies
    assert stolen.get(url).status_code == 404
    registrar.post("/admin/logout/")
    assert registrar.get(url).status_code == 404


def test_a_new_photo_replaces_the_old_one_and_its_bytes(school):
    registrar = signed_in(NAIROBI, "registrar")
    post_file(registrar, student().pk, "a.jpg", jpeg(color=(1, 2, 3)), kind="photo")
    [old] = files_of()
    post_file(registrar, student().pk, "b.png", png(), kind="photo")
    [new] = files_of()
    assert new.pk != old.pk and new.content_type == "image/png"
    assert stored_keys() == sorted([new.key, new.thumbnail_key])


def test_a_pdf_is_streamed_with_ranges_and_can_be_deleted(school):
    registrar = signed_in(NAIROBI, "registrar")
    data = pdf(pages=3)
    page = post_file(registrar, student().pk, "report 2025.pdf", data, title="Term 3 report").content.decode()
    assert "Term 3 report" in page
    [document] = files_of()
    full = registrar.get(f"/files/{document.pk}/")
    assert full.streaming and body_of(full) == data and full["Accept-Ranges"] == "bytes"
    assert full["Content-Type"] == "application/pdf" and full["Content-Disposition"].startswith("inline")
    piece = registrar.get(f"/files/{document.pk}/", HTTP_RANGE="bytes=10-99")
    assert piece.status_code == 206 and body_of(piece) == data[10:100]
    assert piece["Content-Range"] == f"bytes 10-99/{len(data)}"
    assert body_of(registrar.get(f"/files/{document.pk}/", HTTP_RANGE="bytes=-16")) == data[-16:]
    assert registrar.get(f"/files/{document.pk}/", HTTP_RANGE=f"bytes={len(data)}-").status_code == 416
    # The teacher may look but not delete.
    assert signed_in(NAIROBI, "teacher").post(f"/files/{document.pk}/delete").status_code in (302, 403)
    assert len(files_of()) == 1
    registrar.post(f"/files/{document.pk}/delete")
    assert files_of() == [] and stored_keys() == []
    with tenant_context("nairobi"):
        assert AuditEvent.objects.filter(action="file_delete").count() == 1


def test_webp_is_re_encoded(school):
    registrar = signed_in(NAIROBI, "registrar")
    post_file(registrar, student().pk, "scan.webp", webp(), kind="medical")
    [document] = files_of()
    assert document.content_type == "image/jpeg" and document.display_name == "scan.jpg"


# --- bad input: one message, nothing stored ------------------------------------------------


def bomb():
    out = io.BytesIO()
    Image.new("L", (6000, 6000)).save(out, "PNG")  # 36 MP of nothing, a few KB
    return out.getvalue()


BAD_FILES = {
    "empty": ("empty.pdf", b"", "empty"),
    "truncated jpeg": ("cut.jpg", jpeg()[:600], "damaged"),
    "html called pdf": ("invoice.pdf", b"<!doctype html><script>alert(1)</script>", "Web pages"),
    "svg with script": ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "SVG"),
    "svg": ("logo.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
    "double extension": ("photo.jpg.html", jpeg(), "two extensions"),
    "pdf with html prelude": ("x.pdf", b"<html><script>1</script></html>\n" + pdf(), "Web pages"),
    "pdf with script": ("x.pdf", pdf().replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "scripts"),
    # PDF names may spell any byte as #xx: decoded before the check (issue 30, point 4).
    "pdf with escaped script": ("x.pdf", pdf().replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /J#61vaScript /JS (app.alert(1)) >>"), "scripts"),
    "pdf with escaped launch": ("x.pdf", pdf().replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /#4c#61#75#6E#63#68 /F (calc.exe) >>"), "scripts"),
    "pdf with escaped attachment": ("x.pdf", pdf().replace(b"/Type /Catalog", b"/Type /Catalog /Names << /Embedded#46iles 1 0 R >>"), "scripts"),
    "pdf truncated": ("x.pdf", pdf()[:-200], "incomplete"),
    "jpeg+zip polyglot": ("x.jpg", jpeg() + zipped({"a.html": b"<b>hi</b>"}), "archive"),
    "gif": ("x.gif", b"GIF89a" + b"\x00" * 40, "not accepted"),
    "exe": ("x.pdf", b"MZ\x90\x00" + b"\x00" * 100, "not accepted"),
    "bomb": ("big.png", bomb(), "too large"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_refused_with_a_message_and_nothing_is_stored(school, settings, case):
    settings.SCHOOL_IMAGE_MAX_PIXELS = 10_000_000
    name, data, message = BAD_FILES[case]
    registrar = signed_in(NAIROBI, "registrar")
    page = post_file(registrar, student().pk, name, data, kind="report").content.decode()
    assert "was not stored" in page and message in page, page[-2000:]
    assert files_of() == [] and stored_keys() == []


def test_size_limit_and_quota(school, settings):
    registrar = signed_in(NAIROBI, "registrar")
    settings.SCHOOL_FILE_MAX_BYTES = 1000
    assert "larger than the limit" in post_file(registrar, student().pk, "r.pdf", pdf()).content.decode()
    settings.SCHOOL_FILE_MAX_BYTES = 10 * 1024 * 1024
    settings.SCHOOL_FILES_QUOTA_BYTES = len(pdf()) + 100
    post_file(registrar, student().pk, "r.pdf", pdf())
    assert "storage is full" in post_file(registrar, student().pk, "r2.pdf", pdf()).content.decode()
    assert len(files_of()) == 1


def test_names_are_neutralised_and_never_used_for_storage(school):
    assert safe_display_name("../../etc/passwd") == "passwd"
    assert safe_display_name("C:\\Users\\x\\report.pdf") == "report.pdf"
    assert safe_display_name("evil\u202eftp.pdf") == "evilftp.pdf"
    assert safe_display_name("a\x00b\x07c.pdf") == "abc.pdf"
    assert safe_display_name("...") == "file"
    registrar = signed_in(NAIROBI, "registrar")
    post_file(registrar, student().pk, "../../x\u202e\x00.pdf", pdf())
    [document] = files_of()
    assert document.display_name == "x.pdf"
    assert stored_keys() == [document.key] and document.key.isalnum() and "x" not in document.key[:0]


# --- the table stays as fast as it was ------------------------------------------------------


def test_the_student_table_runs_the_same_queries_with_photos(school):
    teacher = signed_in(NAIROBI, "teacher")

    def table_queries():
        teacher.get("/")  # warm the per-school caches
        with CaptureQueriesContext(connections["nairobi"]) as queries:
            assert teacher.get("/").status_code == 200
        return len(queries)

    before = table_queries()
    registrar = signed_in(NAIROBI, "registrar")
    with tenant_context("nairobi"):
        pks = list(Student.objects.values_list("pk", flat=True))
    for pk in pks:
        post_file(registrar, pk, "p.jpg", jpeg(size=(40, 40)), kind="photo")
    assert len(files_of()) == len(pks)
    assert table_queries() == before


# --- removal ---------------------------------------------------------------------------------


def test_removing_a_student_removes_its_files(school):
    registrar = signed_in(NAIROBI, "registrar")
    post_file(registrar, student().pk, "p.jpg", jpeg(), kind="photo")
    post_file(registrar, student().pk, "r.pdf", pdf())
    post_file(registrar, student("NBI-0002").pk, "r.pdf", pdf())
    keep = files_of()[-1]
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no="NBI-0001").delete()
    assert files_of() == [keep] and stored_keys() == [keep.key]
    assert StorageUsage.objects.get(school="nairobi").files == 1


@pytest.mark.sqlite
def test_schools_remove_drop_data_removes_the_files(school, run_cli):
    registrar = signed_in(NAIROBI, "registrar")
    post_file(registrar, student().pk, "r.pdf", pdf())
    files_dir = school.db_dir / "nairobi.files"
    assert any(files_dir.rglob("*"))
    result = run_cli("schools", "remove", "nairobi", "--drop-data", "--yes")
    assert result.returncode == 0, result.stderr
    assert not files_dir.exists()
    assert not StorageUsage.objects.filter(school="nairobi").exists()


def test_schools_list_shows_each_schools_usage(school, run_cli):
    registrar = signed_in(NAIROBI, "registrar")
    post_file(registrar, student().pk, "r.pdf", pdf())
    result = run_cli("schools", "list", "--format", "json")
    rows = {row["name"]: row for row in __import__("json").loads(result.stdout)}
    assert rows["nairobi"]["files"] == 1 and rows["nairobi"]["file_bytes"] == len(pdf())
    assert rows["accra"]["files"] == 0
    assert "1 (" in run_cli("schools", "list").stdout


# --- the admin and photo day on the web -----------------------------------------------------------


def test_the_admin_uploads_through_the_same_checks_and_deletes_with_the_bytes(school):
    with tenant_context("nairobi"):
        get_user_model().objects.create_superuser("boss", "", PASSWORD)
    boss = signed_in(NAIROBI, "boss")
    refused = boss.post(
        "/admin/documents/studentfile/add/",
        {"student": student().pk, "kind": "medical", "title": "x", "upload": upload("x.pdf", b"<html></html>")},
    )
    assert refused.status_code == 200 and "Web pages" in refused.content.decode() and files_of() == []
    added = boss.post(
        "/admin/documents/studentfile/add/",
        {"student": student().pk, "kind": "medical", "title": "Vaccinations", "upload": upload("v.pdf", pdf())},
    )
    assert added.status_code == 302, added.content.decode()[-2000:]
    [row] = files_of()
    assert row.title == "Vaccinations" and row.uploaded_by == "boss" and stored_keys() == [row.key]
    assert "Vaccinations" in boss.get("/admin/documents/studentfile/").content.decode()
    boss.post(f"/admin/documents/studentfile/{row.pk}/delete/", {"post": "yes"})
    assert files_of() == [] and stored_keys() == []


def test_photo_day_on_the_web_imports_a_zip_for_staff(school):
    registrar = signed_in(NAIROBI, "registrar")
    archive = zipped({"NBI-0001.jpg": jpeg(), "photos/NBI-2021-012.jpg": jpeg(), "stranger.jpg": jpeg()})
    answer = registrar.post("/students/photos/import/", {"archive": upload("day.zip", archive)})
    assert answer.status_code == 302 and answer["Location"].startswith("/jobs/")  # a job: its page tells the rest
    page = registrar.get(answer["Location"]).content.decode()
    assert "2 matched (0 replaced), 1 matched no student, 0 refused." in page and "stranger.jpg" in page
    assert {row.kind for row in files_of()} == {"photo"} and len(files_of()) == 2
    assert signed_in(NAIROBI, "teacher").get("/students/photos/import/").status_code in (302, 403)


@pytest.mark.parametrize("piece, active", [
    (b"/S /J#61vaScript", True), (b"/S /#4A#41#56#41#53#43#52#49#50#54", False), (b"/S /#4a#61#76#61#53#63#72#69#70#74", True),
    (b"/Font#20Name /Helvetica", False), (b"/Rich#4dedia", True), (b"/Launch", True), (b"/Lau#6e", False),
])
def test_pdf_names_are_compared_after_their_escapes_are_decoded(piece, active):
    from School.documents.inspection import has_active_content

    assert has_active_content(piece) is active
