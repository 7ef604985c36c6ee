"""Registers for groups other than a class (issue 35, Gibbon PR #1418): a trip or a team made by a registrar, its
register taken with the class register's rules by its teacher in charge, and never counted as attendance at school."""

import datetime
import json

import pytest

from School.context import current_alias, tenant_context
from School.indicators.aggregate import count_years
from School.models import Student
from School.register import groups, reading, service
from School.register.codes import ABSENT, PRESENT
from School.register.models import GroupMark, GroupMember, Mark, RegisterGroup, RegisterTaken
from tests.people_helpers import signed_in
from tests.register_world import CLOSED, EAST, TODAY, register_school

TRIP = "Museum trip"


@pytest.fixture
def people(platform):
    return register_school(platform)


def trip(members=("E-01", "E-02", "W-01"), **days):
    with tenant_context("nairobi"):
        return groups.create(current_alias(), "test", TRIP, teacher="juma", members=members, **days)


def stored():
    with tenant_context("nairobi"):
        return (sorted(RegisterGroup.objects.values_list("name", flat=True)),
                sorted(GroupMember.objects.values_list("student__registration_no", flat=True)),
                sorted(GroupMark.objects.values_list("register__date", "student__registration_no", "code")))


def test_groups_from_the_command_line_and_one_line_for_each_bad_input(people, run_cli):
    added = run_cli("nairobi", "register_groups", "add", "Football team", "--teacher", "mwalimu", "--member", "E-01", "W-01")
    assert added.returncode == 0, added.stderr
    changed = run_cli("nairobi", "register_groups", "members", "Football team", "--add", "E-02", "--remove", "W-01")
    assert changed.returncode == 0 and "1 added, 1 removed, 2 members" in changed.stdout, changed.stderr
    taken = run_cli("nairobi", "register", "--group", "Football team", "--absent", "E-02")
    assert taken.returncode == 0 and "Register of group Football team on" in taken.stdout, taken.stderr
    listed = json.loads(run_cli("nairobi", "register_groups", "--format", "json").stdout)
    assert [(row["name"], row["teacher"], row["members"], row["registers"]) for row in listed] == [
        ("Football team", "mwalimu", 2, 1)]
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no="T-02").update(status=Student.Status.GRADUATED)
    before = stored()
    for arguments, message in [
        (["add", "Football team"], "There is already a group Football team"),
        (["add", "Chess", "--member", "X-99"], "There is no student X-99"),
        (["add", "Chess", "--member", "T-02"], "Student T-02 is not active"),
        (["add", "Chess", "--teacher", "otieno"], "otieno does not take registers"),
        (["members", "Football team", "--remove", "W-02"], "Student W-02 is not in the group"),
        (["remove", "Football team"], "has registers taken: it stays"),
    ]:
        result = run_cli("nairobi", "register_groups", *arguments)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1 and message in lines[0], (arguments, result.stderr)
    outside = run_cli("nairobi", "register", "--group", "Football team", "--absent", "W-01")
    assert outside.returncode == 2 and "student W-01 is not in this group" in outside.stderr
    assert stored() == before


def test_a_group_register_is_taken_with_the_class_rules_inside_its_days(people):
    trip(first=TODAY - datetime.timedelta(days=1), last=TODAY)
    with tenant_context("nairobi"):
        using = current_alias()
        ref = groups.find_group(using, TRIP)
        for who, day, message in [
            (people["teacher"], TODAY, "may not take the register of group Museum trip"),  # not in charge of it
            (people["other teacher"], TODAY - datetime.timedelta(days=2), "is not one of the group's days"),
            (people["registrar"], CLOSED, "the school is closed on"),  # a trip on a closed day takes no register
        ]:
            with pytest.raises(service.RegisterError, match=message):
                service.take(using, service.Actor(who), ref, day, {"E-01": (ABSENT, "")}, correction="x")
        first = service.take(using, service.Actor(people["other teacher"]), ref, TODAY, {"E-01": (ABSENT, "")}, version=0)
        retry = service.take(using, service.Actor(people["other teacher"]), ref, TODAY, {"E-01": (ABSENT, "")}, version=0)
        assert first.changed and not retry.changed and retry.register.version == 1
        # A second person saving over an older version wins whole and is told whose save they replaced.
        later = service.take(using, service.Actor(people["registrar"]), ref, TODAY, {"E-02": (ABSENT, "")}, version=0)
        assert later.replaced[0] == "juma" and later.register.version == 2
    assert stored()[2] == [(TODAY, "E-02", ABSENT)]


def test_a_trip_is_an_extra_record_not_a_second_session_of_school(people, monkeypatch):
    """W-01 is absent from the trip but present at school: no figure of attendance, nor a guardian's mail, says
    otherwise; the class registers count as before."""
    from School.register import absence_mails

    queued = []
    monkeypatch.setattr(absence_mails, "enqueue_now", lambda *args, **kwargs: queued.append(args))
    trip()
    with tenant_context("nairobi"):
        using = current_alias()
        service.change_settings(using, absence_mails=True)
        service.take(using, service.Actor(name="operator"), "Form 1 West", TODAY, {})
        service.take(using, service.Actor(name="operator"), groups.find_group(using, TRIP), TODAY,
                     {"W-01": (ABSENT, ""), "E-01": (ABSENT, "")})
        student = Student.objects.get(registration_no="W-01")
        year = reading.student_attendance(using, student)[-1]
        assert (year["expected"], year["absent"], year["rate"]) == (1, 0, 100.0)
        assert reading.today(using, TODAY)["absent"] == []
        assert ("Form 1 East", "day") in reading.today(using, TODAY)["missing"]  # a trip is not its class's register
        assert reading.persistent_absence(using, TODAY) == []
        counted = next(row for row in count_years(using).values() if row["possible"])
        assert (counted["present"], counted["possible"]) == (2, 2)  # Form 1 West's two students, present
        assert (RegisterTaken.objects.count(), Mark.objects.count(), GroupMark.objects.count()) == (1, 0, 2)
    assert queued == []  # the trip's absences mail no guardian


def test_the_group_pages_make_a_group_choose_its_members_and_take_its_register(people):
    registrar = signed_in("nairobi.localhost", "wanjiru")
    made = registrar.post("/register/groups/", {"name": TRIP, "teacher": "juma", "first": "", "last": ""}, follow=True)
    assert made.status_code == 200 and "now choose its members" in made.content.decode()
    again = registrar.post("/register/groups/", {"name": TRIP, "teacher": "", "first": "", "last": ""})
    assert again.status_code == 400 and "There is already a group" in again.content.decode()
    found = registrar.get("/register/groups/members/", {"group": TRIP, "q": "Form 1 East"}).content.decode()
    assert all(f'name="add" value="{regno}"' in found for regno in EAST) and 'value="W-01"' not in found
    registrar.post("/register/groups/members/", {"group": TRIP, "add": ["E-01", "E-02"]})
    registrar.post("/register/groups/members/", {"group": TRIP, "remove": ["E-02"]})
    assert stored()[1] == ["E-01"]
    registrar.post("/register/groups/", {"name": "Chess club"})
    gone = registrar.post("/register/groups/members/", {"group": "Chess club", "delete": "1"}, follow=True)
    assert "The group Chess club was removed." in gone.content.decode() and stored()[0] == [TRIP]

    teacher = signed_in("nairobi.localhost", "juma")  # in charge of the trip, class teacher of Form 1 West
    assert TRIP in teacher.get("/register/").content.decode()
    page = teacher.get("/register/", {"group": TRIP}).content.decode()
    assert 'name="group" value="Museum trip"' in page and f'value="{PRESENT}" checked' in page
    saved = teacher.post("/register/", {"group": TRIP, "date": TODAY.isoformat(), "session": "day", "version": "0",
                                        "mark-E-01": ABSENT}, follow=True)
    assert "Register saved." in saved.content.decode()
    assert teacher.post("/register/groups/members/", {"group": TRIP, "add": ["E-03"]}).status_code == 403
    assert teacher.post("/register/groups/", {"name": "Chess"}).status_code == 403
    other = signed_in("nairobi.localhost", "mwalimu")
    assert other.get("/register/", {"group": TRIP}).status_code == 403
    assert TRIP not in other.get("/register/groups/").content.decode()
    assert stored()[2] == [(TODAY, "E-01", ABSENT)]
