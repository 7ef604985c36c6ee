"""The school year's pages (issue 32): promotion day, the grade ladder, a student's years, the class lists,
as a school's staff use them, and what the records say afterwards."""

import datetime
import re

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from School.accounts.groups import REGISTRARS, SCHOOL_ADMINS, VIEWERS
from School.context import current_alias, tenant_context
from School.models import Student
from School.school_year.calendar import set_year
from School.school_year.history import history_of
from School.school_year.ladder import set_ladder
from School.school_year.models import Enrolment, Grade, Promotion, SchoolClass, SchoolYear
from School.school_year.pages.promotion import Choices
from School.school_year.promotion import promote
from School.security.models import AuditEvent
from tests.people_helpers import member, signed_in
from tests.test_school_year import NEXT, THIS_YEAR, add_students, migrate_school_year_again, secondary, snapshot  # noqa: F401

HOST = "nairobi.localhost"
PAGE = "/school-year/promotion/"


@pytest.fixture
def school(secondary):
    """Nairobi (Form 1..4 as migrated: confirmed, none final), next year in its calendar, its staff signed in."""
    with tenant_context("nairobi"):
        set_year(current_alias(), NEXT, datetime.date(int(NEXT), 1, 10), datetime.date(int(NEXT), 11, 30))
    member("nairobi", "amina", SCHOOL_ADMINS)
    member("nairobi", "wanjiru", REGISTRARS)
    member("nairobi", "otieno", VIEWERS)
    return secondary


@pytest.fixture
def ready(school):
    """... and a ladder whose Form 4 graduates."""
    with tenant_context("nairobi"):
        set_ladder(current_alias(), ["Form 1", "Form 2", "Form 3", "Form 4"], ["Form 4"])
    return school


@pytest.fixture
def admin():
    return signed_in(HOST, "amina")


def text(response):
    """The page's visible text, one space between words."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).replace("&#x27;", "'").replace("&quot;", '"').strip()


def preview_rows(response):
    table = re.search(r'<table class="table" id="preview".*?</table>', response.content.decode(), re.S).group(0)
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]
    return [[re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in rows]


def confirm(client, to=NEXT, repeat=(), leave=()):
    choices = {"to": to, "repeat": list(repeat), "leave": list(leave)}
    digest = Choices(to, tuple(sorted(repeat)), tuple(sorted(leave)), "").digest()
    return client.post(PAGE, {**choices, "action": "confirm", "previewed": digest})


def test_the_preview_counts_by_grade_and_class_and_writes_nothing(ready, admin):
    before = snapshot("nairobi")
    response = admin.post(PAGE, {"to": NEXT, "repeat": ["F1-00"], "leave": ["F2-00"], "action": "preview"})
    assert response.status_code == 200
    assert preview_rows(response) == [
        ["Form 1", "—", "5 to Form 2", "0", "1", "0"],
        ["Form 2", "—", "4 to Form 3", "0", "0", "1"],
        ["Form 3", "—", "6 to Form 4", "0", "0", "0"],
        ["Form 4", "—", "0", "5", "0", "0"],
        ["Total", "", "15", "5", "1", "1"],
    ]
    assert f"Year to close: {THIS_YEAR}" in text(response) and "Promote 22 students into " + NEXT in text(response)
    assert snapshot("nairobi") == before


def test_nobody_is_ticked_by_default_and_a_search_keeps_the_ticks(ready, admin):
    page = admin.get(PAGE).content.decode()
    assert page.count('name="repeat"') == 22 and " checked" not in page  # the 22 active students, none ticked
    found = admin.post(PAGE, {"to": NEXT, "q": "F3-0", "repeat": ["F1-00"], "action": "search"}).content.decode()
    numbers = re.findall(r'name="repeat" value="([^"]+)"( checked)?', found)
    assert numbers[0] == ("F1-00", " checked")  # the ticked student stays, listed first
    assert {number for number, _ in numbers[1:]} == {f"F3-{n:02d}" for n in range(6)}


@pytest.mark.parametrize("classes", [False, True])
def test_confirming_promotes_everyone_as_the_preview_said_and_audits_who(ready, admin, classes):
    if classes:
        with tenant_context("nairobi"):
            year = SchoolYear.objects.get(is_current=True)
            form1 = SchoolClass.objects.create(year=year, grade=Grade.objects.get(name="Form 1"), name="Form 1 East")
            Student.objects.filter(registration_no__in=["F1-00", "F1-01"]).update(grade=form1.name)
        rows = preview_rows(admin.post(PAGE, {"to": NEXT, "action": "preview"}))
        assert rows[:2] == [["Form 1", "—", "4 to Form 2", "0", "0", "0"], ["Form 1", "Form 1 East", "2 to Form 2", "0", "0", "0"]]
    response = confirm(admin, repeat=["F1-00"], leave=["F2-00"])
    assert response.status_code == 302
    shown = text(admin.get(response["Location"]))
    assert f"Promoted from {THIS_YEAR} into {NEXT}: 15 promoted, 5 graduating, 1 repeating, 1 leaving." in shown
    assert f"Undo the promotion into {NEXT}" in shown
    with tenant_context("nairobi"):
        assert SchoolYear.objects.get(is_current=True).name == NEXT
        rows = dict(Student.objects.values_list("registration_no", "grade"))
        assert (rows["F1-00"], rows["F1-02"], rows["F3-00"]) == ("Form 1", "Form 2", "Form 4")
        assert Student.objects.get(registration_no="F2-00").status == "withdrawn"
        assert Student.objects.get(registration_no="F4-00").status == "graduated"
        assert Enrolment.objects.filter(year__name=NEXT).count() == 16  # the promoted and the repeater
        event = AuditEvent.objects.get(action="promotion")
        assert (event.username, event.rows, event.target) == ("amina", 22, f"{THIS_YEAR} -> {NEXT}")


def test_a_tick_added_after_the_preview_is_previewed_again_before_anything_is_written(ready, admin):
    before = snapshot("nairobi")
    stale = Choices(NEXT, (), (), "").digest()
    response = admin.post(PAGE, {"to": NEXT, "repeat": ["F1-00"], "action": "confirm", "previewed": stale})
    assert response.status_code == 200 and "The choices changed since the preview" in text(response)
    assert preview_rows(response)[0] == ["Form 1", "—", "5 to Form 2", "0", "1", "0"]
    assert snapshot("nairobi") == before


def test_a_grade_that_is_not_final_and_has_no_next_stops_everything(school, admin):
    before = snapshot("nairobi")  # as migrated: Form 4 has no next grade and is not final
    response = confirm(admin)
    assert response.status_code == 400
    assert "Nothing was written: grade Form 4 is not final and has no next grade: nobody was promoted" in text(response)
    # The same refusal in the reader's language (the command line keeps English).
    assert admin.post("/language/", {"language": "fr"}).status_code == 302
    french = text(confirm(admin)).replace("\u202f", " ")
    assert "le niveau Form 4 n'est pas final et n'a pas de niveau suivant : aucun passage en classe supérieure" in french
    assert snapshot("nairobi") == before


def test_an_unconfirmed_ladder_is_refused_with_a_link_to_confirm_it_there(platform, admin_of_accra):
    client = admin_of_accra
    before = snapshot("accra")
    response = confirm(client)
    assert response.status_code == 400 and "its order is not confirmed" in text(response)
    assert 'id="confirm-ladder-link" href="/school-year/grades/"' in response.content.decode().replace(
        '<a href="/school-year/grades/" id="confirm-ladder-link">', '<a id="confirm-ladder-link" href="/school-year/grades/">')
    assert snapshot("accra") == before
    ladder = client.get("/school-year/grades/")
    assert "was guessed from the records and is not confirmed" in text(ladder)
    with tenant_context("accra"):
        blue, red = Grade.objects.get(name="Blue"), Grade.objects.get(name="Red")
    # Red before Blue, Blue final: saved through set_ladder, the ladder is confirmed.
    saved = client.post("/school-year/grades/", {f"order-{red.pk}": "1", f"order-{blue.pk}": "2", f"final-{blue.pk}": "1"})
    assert saved.status_code == 302
    assert "The order of the grades is confirmed: Red, Blue." in text(client.get(saved["Location"]))
    with tenant_context("accra"):
        assert [(g.name, g.next_grade and g.next_grade.name, g.is_final, g.confirmed) for g in Grade.objects.all()] == [
            ("Red", "Blue", False, True), ("Blue", None, True, True)]
    assert preview_rows(client.get(PAGE))[-1] == ["Total", "", "1", "1", "0", "0"]


@pytest.fixture
def admin_of_accra(platform):
    """Accra: grades Red and Blue (order unknown, so unconfirmed), next year in its calendar, its admin signed in."""
    platform.add_school("accra", ["accra.localhost"], "Accra Academy")
    add_students("accra", [("A1", "Red", "active"), ("A2", "Blue", "active")])
    migrate_school_year_again("accra")
    with tenant_context("accra"):
        set_year(current_alias(), NEXT, datetime.date(int(NEXT), 1, 10), datetime.date(int(NEXT), 11, 30))
    member("accra", "kwame", SCHOOL_ADMINS)
    return signed_in("accra.localhost", "kwame")


def test_a_bad_place_in_the_ladder_is_a_form_error_and_writes_nothing(ready, admin):
    before = snapshot("nairobi")
    with tenant_context("nairobi"):
        grades = list(Grade.objects.all())
    data = {f"order-{grade.pk}": str(grade.position) for grade in grades}
    data[f"order-{grades[0].pk}"] = "first"
    response = admin.post("/school-year/grades/", data)
    assert response.status_code == 400 and "Give every grade its place as a whole number" in text(response)
    assert snapshot("nairobi") == before


def test_a_year_that_does_not_exist_is_refused_naming_the_command(ready, admin):
    before = snapshot("nairobi")
    response = confirm(admin, to="2099")
    assert response.status_code == 400
    assert "year 2099 does not exist: create it first with `school_manage.py nairobi calendar set 2099" in text(response)
    assert snapshot("nairobi") == before


def test_the_loser_of_a_race_is_told_and_writes_nothing(ready, admin):
    page = admin.post(PAGE, {"to": NEXT, "action": "preview"})  # both offices see the same preview
    assert page.status_code == 200
    with tenant_context("nairobi"):
        promote(current_alias(), "nairobi", NEXT, username="operator:b")  # the other one confirms first
    after_winner = snapshot("nairobi")
    response = confirm(admin)
    assert response.status_code == 400
    assert f"nairobi was already promoted into {NEXT}" in text(response) and "by operator:b" in text(response)
    assert snapshot("nairobi") == after_winner


def test_a_promotion_running_elsewhere_is_named_and_nothing_written(ready, admin):
    from django.utils import timezone

    with tenant_context("nairobi"):
        years = SchoolYear.objects
        now = timezone.now()
        Promotion.objects.create(from_year=years.get(is_current=True), to_year=years.get(name=NEXT), username="operator:b",
                                 started_at=now, lease_until=now + datetime.timedelta(minutes=5))
    before = snapshot("nairobi")
    response = confirm(admin)
    assert response.status_code == 400 and "another promotion of nairobi" in text(response) and "operator:b" in text(response)
    assert snapshot("nairobi") == before


def test_undo_from_the_page_puts_everything_back_and_refuses_once_the_year_was_written(ready, admin):
    before = snapshot("nairobi")
    assert confirm(admin, repeat=["F1-00"]).status_code == 302
    undone = admin.post("/school-year/promotion/undo/", {"year": NEXT})
    assert undone.status_code == 302
    assert f"The promotion into {NEXT} was undone: 22 students are back where they were." in text(admin.get(undone["Location"]))
    assert snapshot("nairobi") == before
    with tenant_context("nairobi"):
        assert AuditEvent.objects.get(action="promotion_undo").username == "amina"
    assert confirm(admin).status_code == 302
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no="F1-00").update(grade="Form 3")  # a registrar's edit in the new year
    written = snapshot("nairobi")
    refused = admin.post("/school-year/promotion/undo/", {"year": NEXT})
    assert refused.status_code == 400
    assert f"Nothing was written: the promotion into {NEXT} cannot be undone: 1 students were changed after the promotion" in text(refused)
    assert snapshot("nairobi") == written


@pytest.mark.parametrize("user", ["wanjiru", "otieno"])
def test_registrars_and_viewers_may_not_promote_undo_or_change_the_ladder(ready, user):
    client = signed_in(HOST, user)
    before = snapshot("nairobi")
    assert client.get(PAGE).status_code == 403
    assert confirm(client).status_code == 403
    assert client.post("/school-year/promotion/undo/", {"year": NEXT}).status_code == 403
    assert client.get("/school-year/grades/").status_code == 403
    assert snapshot("nairobi") == before


def test_a_students_page_shows_their_years_in_the_schools_date_order(ready, admin, platform):
    from School.models import School

    row = School.objects.using("default").get(name="nairobi")
    row.date_order = "dmy"
    row.save()  # through save(): the registry's change log tells every worker
    assert confirm(admin, repeat=["F1-00"]).status_code == 302
    with tenant_context("nairobi"):
        pk = Student.objects.get(registration_no="F1-00").pk
        first = Enrolment.objects.get(student=pk, year__name=str(THIS_YEAR)).first_day  # the day the migration enrolled them
    from tests.conftest import outlive_registry_ttl

    outlive_registry_ttl()
    page = admin.get(f"/students/{pk}/")
    table = re.search(r'<table class="table" id="student-history">.*?</table>', page.content.decode(), re.S).group(0)
    rows = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]]
    assert rows == [
        f"{THIS_YEAR} Form 1 — {first:%d/%m/%Y} 31/12/{THIS_YEAR} Repeated",
        f"{NEXT} Form 1 — 10/01/{NEXT} — Still enrolled",
    ]


def test_a_students_history_costs_the_same_queries_for_six_years_as_for_one(ready):
    with tenant_context("nairobi"):
        alias = current_alias()
        years = [SchoolYear.objects.get(is_current=True)]
        for n in range(2, 7):
            start = datetime.date(int(NEXT) + n, 1, 10)
            years.append(SchoolYear.objects.create(name=str(start.year), first_day=start, last_day=start.replace(month=11)))
        grade = Grade.objects.get(name="Form 1")
        one, six = Student.objects.filter(grade="Form 2")[:2]
        for year in years[1:]:
            Enrolment.objects.create(student=six, year=year, grade=grade, first_day=year.first_day)
        counts = []
        for student in (one, six):
            with CaptureQueriesContext(connections[alias]) as queries:
                shown = history_of(student, str)
            counts.append(len(queries))
        assert len(shown) == 6 and counts[0] == counts[1]


def test_the_classes_page_and_a_class_list_of_this_year_and_of_an_earlier_one(ready, admin):
    with tenant_context("nairobi"):
        year = SchoolYear.objects.get(is_current=True)
        teacher = member("nairobi", "mwalimu", None, staff=False)
        teacher.first_name, teacher.last_name = "Grace", "Achieng"
        teacher.save()
        east = SchoolClass.objects.create(year=year, grade=Grade.objects.get(name="Form 1"), name="Form 1 East", teacher=teacher, capacity=40)
        Student.objects.filter(registration_no__in=["F1-00", "F1-01"]).update(grade=east.name)
    # The table filtered by a class links to that class's list.
    assert 'href="/classes/list/?class=Form%202" id="class-list-link"' in admin.get("/", {"grade": "Form 2"}).content.decode()
    shown = text(admin.get("/classes/"))
    assert "Form 1 East · 2 students · class teacher: Grace Achieng" in shown and "Form 2 · 5 students" in shown
    listed = admin.get("/classes/list/", {"class": "Form 1 East"})
    assert "Class teacher Grace Achieng" in text(listed) and "Students 2 / 40" in text(listed)
    assert re.findall(r"<td>(F1-\d\d)</td>", listed.content.decode()) == ["F1-00", "F1-01"]
    assert confirm(admin).status_code == 302
    earlier = admin.get("/classes/list/", {"class": "Form 4", "year": str(THIS_YEAR)})
    assert text(earlier).count("Graduated") == 5
    assert admin.get("/classes/list/", {"class": "Form 9"}).status_code == 404
    assert admin.get("/classes/list/", {"class": "Form 1", "year": "1999"}).status_code == 404
    assert signed_in(HOST, "otieno").get("/classes/").status_code in {302, 403}


def test_a_class_the_table_links_to_has_a_list_even_when_none_of_its_students_is_active(ready, admin):
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no__in=["F1-00", "F1-01"]).update(grade="Form 1 Old", status=Student.Status.GRADUATED)
    assert 'href="/classes/list/?class=Form%201%20Old"' in admin.get("/", {"grade": "Form 1 Old"}).content.decode()
    listed = admin.get("/classes/list/", {"class": "Form 1 Old"})
    assert listed.status_code == 200 and "No student in this class." in text(listed)


def test_the_student_table_shows_the_current_year_unless_another_is_chosen(ready, admin):
    page = admin.get("/").content.decode()
    assert 'name="year"' not in page or '<option value="" selected>' in page
    assert confirm(admin, repeat=["F1-00"], leave=["F2-00"]).status_code == 302
    current = admin.get("/").content.decode()
    # The selector: the current year (no parameter, selected) and the year before.
    assert f'<option value="" selected>{NEXT}</option><option value="{THIS_YEAR}">{THIS_YEAR}</option>' in current
    # As before: every student of the school (the status filter narrows it), each with the class of now.
    assert current.count("<tr>") - 1 == 23 and "<td>F1-00</td>\n      <td>Form 1</td>" in current
    earlier = admin.get("/", {"year": str(THIS_YEAR)})
    shown = text(earlier)
    assert "23 students enrolled in " + str(THIS_YEAR) in shown  # OLD-1 too, withdrawn before
    rows = re.findall(r"<td>(F\d-\d\d)</td><td>([^<]*)</td><td>([^<]*)</td>", earlier.content.decode())
    assert ("F1-00", "Form 1", "Repeated") in rows and ("F2-00", "Form 2", "Withdrawn") in rows and ("F4-00", "Form 4", "Graduated") in rows
    searched = admin.get("/", {"year": str(THIS_YEAR), "q": "F4"})
    assert "5 students enrolled in" in text(searched)
    assert admin.get("/", {"year": "1999"}).status_code == 404
    assert admin.get("/", {"year": NEXT}).content.decode().count("<tr>") - 1 == 23  # the current year, by name: the usual table


def test_a_new_year_is_offered_at_once_by_every_worker(ready, admin):
    """The selector's years are kept under the students' stamp: creating a year renews it."""
    assert f'<option value="{NEXT}">' in admin.get("/").content.decode()
    with tenant_context("nairobi"):
        later = str(int(NEXT) + 1)
        set_year(current_alias(), later, datetime.date(int(later), 1, 10), datetime.date(int(later), 11, 30))
    assert f'<option value="{later}">{later}</option>' in admin.get("/").content.decode()


@pytest.mark.parametrize("language, heading, total", [
    ("fr", "Jour du passage en classe supérieure", "Passage en classe supérieure de 22 élèves vers"),
    ("sw", "Siku ya kupanda darasa", "Kupanda darasa: wanafunzi 22 kwenda"),
    ("pt", "Dia da transição de classe", "Transição de classe de 22 alunos para"),
])
def test_the_pages_speak_the_schools_language(ready, admin, language, heading, total):
    from School.models import School
    from tests.conftest import outlive_registry_ttl

    row = School.objects.using("default").get(name="nairobi")
    row.language = language
    row.save()
    outlive_registry_ttl()
    promotion = text(admin.post(PAGE, {"to": NEXT, "action": "preview"}))
    assert heading in promotion and total in promotion
    for path in ("/classes/", "/classes/list/?class=Form+1", "/school-year/grades/", f"/?year={NEXT}"):
        assert admin.get(path).status_code == 200, path
    assert confirm(admin).status_code == 302
    assert admin.get("/", {"year": str(THIS_YEAR)}).status_code == 200
