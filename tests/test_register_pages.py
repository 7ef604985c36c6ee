"""The register page and the Today page (issue 35), as a teacher and a registrar use them, with JavaScript off."""

import datetime

import pytest

from School.context import tenant_context
from School.register.codes import ABSENT, EXCUSED, LATE, PRESENT
from School.register.models import Mark, RegisterTaken
from tests.people_helpers import signed_in
from tests.register_world import EAST, TODAY, register_school


@pytest.fixture
def people(platform):
    return register_school(platform)


def marks_stored():
    with tenant_context("nairobi"):
        return sorted(Mark.objects.values_list("student__registration_no", "code", "reason"))


def form(**marks):
    data = {"class": "Form 1 East", "date": TODAY.isoformat(), "session": "day", "version": "0"}
    for regno in EAST:
        code, _, reason = marks.get(regno.replace("-", "_"), PRESENT).partition(":")
        data[f"mark-{regno}"] = code
        data[f"reason-{regno}"] = reason
    return data


def test_the_register_opens_with_everyone_present_and_saves_only_the_others(people):
    teacher = signed_in("nairobi.localhost", "mwalimu")
    choose = teacher.get("/register/")
    assert choose.status_code == 200 and "Form 1 East" in choose.content.decode()
    assert "Form 1 West" not in choose.content.decode()  # not their class
    page = teacher.get("/register/", {"class": "Form 1 East"})
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count(f'value="{PRESENT}" checked') == len(EAST)
    saved = teacher.post("/register/", form(E_01=ABSENT, E_02=LATE, E_03=f"{EXCUSED}:sick"), follow=True)
    assert "Register saved." in saved.content.decode()
    assert marks_stored() == [("E-01", ABSENT, ""), ("E-02", LATE, ""), ("E-03", EXCUSED, "sick")]
    shown = teacher.get("/register/", {"class": "Form 1 East"}).content.decode()
    assert 'name="mark-E-01" value="absent-unexcused" checked' in shown and 'name="version" value="1"' in shown


def test_a_retry_of_the_same_form_changes_nothing(people):
    teacher = signed_in("nairobi.localhost", "mwalimu")
    teacher.post("/register/", form(E_01=ABSENT))
    again = teacher.post("/register/", form(E_01=ABSENT), follow=True)
    assert "nothing had changed" in again.content.decode()
    with tenant_context("nairobi"):
        assert list(RegisterTaken.objects.values_list("version", flat=True)) == [1]


def test_the_earlier_editor_is_named_to_the_later_one(people):
    signed_in("nairobi.localhost", "mwalimu").post("/register/", form(E_01=ABSENT))
    later = signed_in("nairobi.localhost", "wanjiru").post("/register/", form(E_02=LATE), follow=True)
    assert "mwalimu had saved this register" in later.content.decode()
    assert marks_stored() == [("E-02", LATE, "")]


def test_another_teachers_class_is_403_and_nothing_is_written(people):
    teacher = signed_in("nairobi.localhost", "mwalimu")
    assert teacher.get("/register/", {"class": "Form 1 West"}).status_code == 403
    data = {**form(), "class": "Form 1 West", "mark-W-01": ABSENT}
    assert teacher.post("/register/", data).status_code == 403
    assert signed_in("nairobi.localhost", "otieno").get("/register/").status_code == 403  # a viewer
    with tenant_context("nairobi"):
        assert not RegisterTaken.objects.exists()


def test_bad_input_is_a_form_error_and_nothing_is_written(people):
    teacher = signed_in("nairobi.localhost", "mwalimu")
    future = {**form(), "date": (TODAY + datetime.timedelta(days=1)).isoformat()}
    response = teacher.post("/register/", future)
    assert response.status_code == 400 and "is in the future" in response.content.decode()
    response = teacher.post("/register/", form(E_01="gone"))
    assert response.status_code == 400 and "unknown mark" in response.content.decode()
    with tenant_context("nairobi"):
        assert not RegisterTaken.objects.exists()


def test_today_lists_the_classes_not_taken_and_who_is_absent(people):
    signed_in("nairobi.localhost", "mwalimu").post("/register/", form(E_01=ABSENT, E_02=f"{EXCUSED}:sick"))
    registrar = signed_in("nairobi.localhost", "wanjiru")
    html = registrar.get("/register/today/").content.decode()
    missing = html.split('id="registers-missing"')[1].split("</ul>")[0]
    assert "Form 1 West" in missing and "Form 2" in missing and "Form 1 East" not in missing
    absent = html.split('id="absent-today"')[1].split("</table>")[0]
    assert "FirstE-01 LastE-01" in absent and "Sick" in absent and "E-03" not in absent
    assert signed_in("nairobi.localhost", "mwalimu").get("/register/today/").status_code == 403


def test_the_page_speaks_the_users_language(people):
    teacher = signed_in("nairobi.localhost", "mwalimu")
    teacher.post("/language/", {"language": "sw"})
    html = teacher.get("/register/", {"class": "Form 1 East"}).content.decode()
    assert "Hayupo" in html or "hayupo" in html


def test_the_class_sheet_shows_the_months_grid_to_registrars_and_the_class_teacher(people):
    signed_in("nairobi.localhost", "mwalimu").post("/register/", form(E_01=ABSENT))
    month = TODAY.strftime("%Y-%m")
    for who in ("wanjiru", "mwalimu"):
        response = signed_in("nairobi.localhost", who).get("/register/sheet/", {"class": "Form 1 East", "month": month})
        assert response.status_code == 200
        grid = response.content.decode().split('id="sheet-grid"')[1].split("</table>")[0]
        first = grid.split("<tbody>")[1].split("</tr>")[0]
        assert "FirstE-01 LastE-01" in first and "<td>A</td>" in first
    assert signed_in("nairobi.localhost", "juma").get("/register/sheet/", {"class": "Form 1 East"}).status_code == 403
    assert signed_in("nairobi.localhost", "wanjiru").get("/register/sheet/", {"class": "Form 1 East", "month": "13"}).status_code == 404


def test_the_students_page_shows_their_attendance_this_year(people):
    day = TODAY - datetime.timedelta(days=1)
    registrar = signed_in("nairobi.localhost", "wanjiru")
    registrar.post("/register/", {**form(E_01=ABSENT), "date": day.isoformat(), "correction": "paper"})
    registrar.post("/register/", form(E_01=LATE))
    with tenant_context("nairobi"):
        from School.models import Student

        pk = Student.objects.get(registration_no="E-01").pk
    html = registrar.get(f"/students/{pk}/").content.decode()
    figures = html.split('id="attendance-figures"')[1].split("</table>")[0]
    row = figures.split("<tbody>")[1]
    # Two registers, one absence (unexcused), one late arrival: present on one of two days.
    assert [cell.split(">")[-1] for cell in row.split("</td>")[:6]] == ["2", "1", "1", "1", "0", "50.0 %"]


def test_today_lists_the_students_to_follow_up(people):
    registrar = signed_in("nairobi.localhost", "wanjiru")
    registrar.post("/register/", {**form(E_01=ABSENT), "date": (TODAY - datetime.timedelta(days=1)).isoformat(), "correction": "paper"})
    html = registrar.get("/register/today/").content.decode()
    follow_up = html.split('id="follow-up"')[1].split("</table>")[0]
    assert "FirstE-01 LastE-01" in follow_up and "0.0 % (1/1)" in follow_up and "E-02" not in follow_up


def test_a_past_days_register_is_read_only_for_its_teacher(people):
    yesterday = (TODAY - datetime.timedelta(days=1)).isoformat()
    html = signed_in("nairobi.localhost", "mwalimu").get("/register/", {"class": "Form 1 East", "date": yesterday}).content.decode()
    assert 'id="register-closed"' in html and 'id="register-save"' not in html
    html = signed_in("nairobi.localhost", "wanjiru").get("/register/", {"class": "Form 1 East", "date": yesterday}).content.decode()
    assert 'id="correction"' in html and 'id="register-save"' in html
