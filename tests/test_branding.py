"""Each school's branding (issue 37): logo, colours and sign-in welcome, set on a page or with `schools set`."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from School.branding import looks
from School.branding.models import Branding
from School.context import tenant_context
from School.models import School
from tests.conftest import outlive_registry_ttl

PASSWORD = "correct-horse-battery"
GREEN, WHITE, PALE = "#1a5e20", "#ffffff", "#e8f5e9"


def png(size=(1200, 400), colour=(26, 94, 32), mode="RGB", trailer=b""):
    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, "PNG")
    return out.getvalue() + trailer


def upload(data, name="crest.png"):
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def school_admin(school, host, username="mwalimu"):
    with tenant_context(school):
        user = get_user_model().objects.create_user(username, f"{username}@school.test", PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name="School admins"))
    client = Client(HTTP_HOST=host)
    assert client.post("/admin/login/", {"username": username, "password": PASSWORD}).status_code == 302
    return client


def brand_page(client, **fields):
    form = {"primary": GREEN, "accent": WHITE, "welcome_en": "", "welcome_fr": "", "welcome_sw": "", "welcome_pt": "", **fields}
    return client.post("/branding/", form)


def stored(school):
    with tenant_context(school):
        return Branding.objects.filter(key="branding").first()


@pytest.fixture
def nairobi_admin(three_schools):
    looks.forget()
    yield school_admin("nairobi", "nairobi.localhost")
    looks.forget()


def test_a_school_admin_brands_the_school_and_every_page_shows_it_but_no_other_schools(nairobi_admin):
    saved = brand_page(nairobi_admin, logo=upload(png()), welcome_en="Karibu, welcome to Nairobi School", welcome_sw="Karibu shuleni")
    assert saved.status_code == 302 and saved.url == "/branding/"
    branding = stored("nairobi")
    logo = re.escape(f"/branding/logo/{branding.logo_digest}.png")
    anonymous = Client(HTTP_HOST="nairobi.localhost")
    pages = {path: nairobi_admin.get(path) for path in ("/", "/admin/", "/branding/", "/language/")}
    pages.update({path: anonymous.get(path) for path in ("/accounts/login/", "/admin/login/")})
    for path, page in pages.items():
        html = page.content.decode()
        assert page.status_code == 200, path
        assert re.search(rf'<img src="{logo}" alt="[^"]*" class="brand-logo">', html), path
        style = re.search(r'<link rel="stylesheet" href="(/branding/style/[a-z0-9]+\.css)">', html)
        assert style, path
    for path in ("/accounts/login/", "/admin/login/"):
        assert '<p class="welcome" id="welcome">Karibu, welcome to Nairobi School</p>' in pages[path].content.decode()
    css = anonymous.get(style.group(1))
    assert css.status_code == 200 and css["Content-Type"].startswith("text/css")
    assert f"background: {GREEN}; color: {WHITE}" in css.content.decode()
    image = anonymous.get(f"/branding/logo/{branding.logo_digest}.png")
    assert image.status_code == 200 and image["Content-Type"] == "image/png" and image.content == bytes(branding.logo)
    # Accra shows the platform's look, and Nairobi's logo and colours are not found at its host.
    accra = Client(HTTP_HOST="accra.localhost")
    for path in ("/", "/accounts/login/", "/admin/login/"):
        html = accra.get(path).content.decode()
        assert "brand-logo" not in html and "/branding/" not in html and "Karibu" not in html
    assert accra.get(f"/branding/logo/{branding.logo_digest}.png").status_code == 404
    assert accra.get(style.group(1)).status_code == 404


def test_the_welcome_is_in_the_readers_language_else_the_schools(nairobi_admin):
    brand_page(nairobi_admin, welcome_en="Welcome", welcome_fr="Bienvenue")
    School.objects.using(DEFAULT_DB_ALIAS).get(name="nairobi").save()  # the registry's change log: re-read now
    french = Client(HTTP_HOST="nairobi.localhost", HTTP_ACCEPT_LANGUAGE="fr")
    School.objects.using(DEFAULT_DB_ALIAS).filter(name="nairobi").update(language="fr")
    School.objects.using(DEFAULT_DB_ALIAS).get(name="nairobi").save()
    assert "Bienvenue" in french.get("/accounts/login/").content.decode()
    School.objects.using(DEFAULT_DB_ALIAS).filter(name="nairobi").update(language="sw")
    School.objects.using(DEFAULT_DB_ALIAS).get(name="nairobi").save()
    swahili = Client(HTTP_HOST="nairobi.localhost").get("/accounts/login/").content.decode()
    assert 'id="welcome"' not in swahili  # no Swahili text given, nor one in the school's language
    brand_page(nairobi_admin, welcome_sw="Karibu")
    assert "Karibu" in Client(HTTP_HOST="nairobi.localhost").get("/admin/login/").content.decode()


@pytest.mark.parametrize(("fields", "says"), [
    ({"primary": "#777777", "accent": "#ffffff"}, "contrast of 4.47:1, under the 4.5:1"),
    ({"primary": GREEN, "accent": PALE.replace("e", "z")}, "is not a colour"),
    ({"logo": upload(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "crest.svg")}, "SVG"),
    ({"logo": upload(png(trailer=b"PK\x05\x06" + bytes(18)))}, "archive"),
    ({"welcome_en": "Hello\x07"}, "control character"),
])
def test_refusals_say_why_and_write_nothing(nairobi_admin, fields, says):
    refused = brand_page(nairobi_admin, **fields)
    assert refused.status_code == 400
    assert says in refused.content.decode()
    assert stored("nairobi") is None


def test_the_logo_is_re_encoded_and_made_header_sized(nairobi_admin):
    brand_page(nairobi_admin, logo=upload(png(size=(2400, 600), trailer=b"appended bytes after the image")))
    from PIL import Image

    body = bytes(stored("nairobi").logo)
    assert b"appended bytes" not in body
    with Image.open(io.BytesIO(body)) as image:
        assert image.format == "PNG" and image.size == (480, 120)


def test_only_school_admins_may_change_the_branding(nairobi_admin):
    with tenant_context("nairobi"):
        clerk = get_user_model().objects.create_user("clerk", "clerk@school.test", PASSWORD, is_staff=True)
        clerk.groups.add(Group.objects.get(name="Registrars"))
    registrar = Client(HTTP_HOST="nairobi.localhost")
    registrar.post("/admin/login/", {"username": "clerk", "password": PASSWORD})
    assert brand_page(registrar).status_code == 403
    assert Client(HTTP_HOST="nairobi.localhost").get("/branding/").status_code == 302
    assert stored("nairobi") is None
    assert 'href="/branding/"' in nairobi_admin.get("/admin/").content.decode()


def test_the_student_table_reads_no_branding_per_request(nairobi_admin):
    brand_page(nairobi_admin, logo=upload(png()))
    client = Client(HTTP_HOST="nairobi.localhost")
    client.get("/")  # the first request after the change reads it
    with CaptureQueriesContext(connections["nairobi"]) as queries:
        for _ in range(3):
            assert "brand-logo" in client.get("/").content.decode()
    assert not [query for query in queries.captured_queries if "branding" in query["sql"]]


def test_schools_set_brands_a_school_with_the_pages_refusals(three_schools, run_cli, tmp_path):
    logo = tmp_path / "crest.png"
    logo.write_bytes(png(mode="RGBA", colour=(0, 0, 0, 0)))
    done = run_cli("schools", "set", "accra", "--logo", str(logo), "--colours", f"{GREEN},{WHITE}",
                   "--welcome", "Akwaaba", "--welcome", "fr=Bienvenue à Accra")
    assert done.returncode == 0, done.stderr
    assert "logo" in done.stdout and "colours" in done.stdout and "welcome" in done.stdout
    branding = stored("accra")
    assert (branding.primary, branding.accent) == (GREEN, WHITE)
    assert branding.welcome == {"en": "Akwaaba", "fr": "Bienvenue à Accra"} and branding.logo_type == "image/png"
    svg = tmp_path / "crest.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    for args, says in [
        (["--colours", f"{WHITE},{PALE}"], "under the 4.5:1"),
        (["--colours", GREEN], "two colours"),
        (["--logo", str(svg)], "SVG"),
        (["--logo", str(tmp_path / "missing.png")], "missing.png"),
        (["--welcome", "x" * 501], "longer than 500"),
    ]:
        refused = run_cli("schools", "set", "accra", "--display-name", "Renamed", *args)
        assert refused.returncode == 2 and says in refused.stderr, (args, refused.stderr)
        assert len(refused.stderr.strip().splitlines()) == 1
    assert School.objects.using(DEFAULT_DB_ALIAS).get(name="accra").display_name == "Accra Academy"
    again = stored("accra")
    assert (again.primary, again.accent, again.logo_digest, again.welcome) == (GREEN, WHITE, branding.logo_digest, branding.welcome)
    cleared = run_cli("schools", "set", "accra", "--logo", "none", "--colours", "default", "--welcome", "")
    assert cleared.returncode == 0, cleared.stderr
    outlive_registry_ttl()  # every worker within SCHOOL_REGISTRY_TTL, this test's process too
    html = Client(HTTP_HOST="accra.localhost").get("/accounts/login/").content.decode()
    assert "brand-logo" not in html and "/branding/" not in html and "Akwaaba" not in html


def test_backup_restore_clone_and_move_carry_the_branding(nairobi_admin, run_cli, tmp_path):
    brand_page(nairobi_admin, logo=upload(png()), welcome_en="Welcome to Nairobi")
    digest = stored("nairobi").logo_digest
    backup = tmp_path / "nairobi.backup"
    assert run_cli("nairobi", "backup", "--output", str(backup)).returncode == 0
    assert run_cli("schools", "restore", str(backup), "--as", "kisumu", "--host", "kisumu.localhost").returncode == 0
    assert run_cli("schools", "clone", "nairobi", "mombasa", "--host", "mombasa.localhost").returncode == 0
    for school, host in (("kisumu", "kisumu.localhost"), ("mombasa", "mombasa.localhost")):
        assert stored(school).logo_digest == digest
        html = Client(HTTP_HOST=host).get("/accounts/login/").content.decode()
        assert f"/branding/logo/{digest}.png" in html and "Welcome to Nairobi" in html
        assert Client(HTTP_HOST=host).get(f"/branding/logo/{digest}.png").content == bytes(stored("nairobi").logo)
    logo = bytes(stored("nairobi").logo)
    moved = run_cli("schools", "move", "nairobi", "--to", f"sqlite:{tmp_path / 'elsewhere'}", "--drop-source")
    assert moved.returncode == 0, moved.stderr
    outlive_registry_ttl()  # the move is seen by every worker within SCHOOL_REGISTRY_TTL, this process too
    html = Client(HTTP_HOST="nairobi.localhost").get("/accounts/login/").content.decode()
    assert f"/branding/logo/{digest}.png" in html and "Welcome to Nairobi" in html
    assert Client(HTTP_HOST="nairobi.localhost").get(f"/branding/logo/{digest}.png").content == logo


def test_the_default_schools_logo_is_the_platforms_on_its_dashboard(three_schools, settings):
    looks.forget()
    with tenant_context("default"):
        root = get_user_model().objects.create_superuser("root", "root@platform.test", PASSWORD)
    from School.branding.service import set_branding

    set_branding("default", logo=("image/png", png()))
    client = Client(HTTP_HOST="localhost")
    client.force_login(root)
    digest = stored("default").logo_digest
    assert f"/branding/logo/{digest}.png" in client.get("/platform/").content.decode()
    assert f"/branding/logo/{digest}.png" not in Client(HTTP_HOST="nairobi.localhost").get("/").content.decode()
    looks.forget()


def test_a_branded_schools_mail_has_its_logo_from_its_own_host_and_its_colours(nairobi_admin):
    from School.accounts.mail import build_message

    brand_page(nairobi_admin, logo=upload(png()))
    digest = stored("nairobi").logo_digest
    context = {"hours": 48, "accept_url": "http://nairobi.localhost/accounts/invitation/abc/"}
    with tenant_context("nairobi"):
        message = build_message("invitation", context, "ana@school.test")
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    assert re.search(rf'<img src="https?://nairobi\.localhost(:\d+)?/branding/logo/{digest}\.png"', html)
    assert f"background:{GREEN};color:{WHITE}" in html and "Nairobi School" in html
    assert '<a href="http://nairobi.localhost/accounts/invitation/abc/"' in html
    assert "http://nairobi.localhost/accounts/invitation/abc/" in message.body  # the plain text stays whole
    with tenant_context("accra"):
        assert build_message("invitation", context, "ama@school.test").alternatives == []


def test_a_branded_schools_workbook_has_its_title_row_and_imports_back(nairobi_admin, tmp_path):
    import openpyxl

    from School.records.files import export_xlsx
    from School.records.table import StudentTableQuery
    from tests.test_student_files import import_file

    brand_page(nairobi_admin)  # colours only
    path = tmp_path / "nairobi.xlsx"
    with tenant_context("nairobi"):
        export_xlsx(StudentTableQuery().queryset(), path)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    title = sheet["A1"]
    assert title.value == "Nairobi School" and title.font.b
    assert title.fill.fgColor.rgb.endswith(GREEN[1:].upper()) and title.font.color.rgb.endswith("FFFFFF")
    assert sheet["A2"].value == "registration_no"
    report = import_file("accra", path)
    assert report.new == 5 and report.file_format == "Excel workbook"
    with tenant_context("accra"):
        plain = tmp_path / "accra.xlsx"
        export_xlsx(StudentTableQuery().queryset(), plain)
    assert openpyxl.load_workbook(plain).worksheets[0]["A1"].value == "registration_no"  # the platform's look: no title
