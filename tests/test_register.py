"""The daily register's rules (issue 35): who may take which register, which days and students, what is stored,
idempotent saves, the version check, and corrections after the day, as the page and the command line share them."""

import datetime

import pytest

from School.context import current_alias, tenant_context
from School.register import service
from School.register.codes import ABSENT, EXCUSED, LATE, NOT_EXPECTED, PRESENT
from School.register.models import AbsenceReason, Mark, RegisterTaken
from School.security.models import AuditEvent
from tests.register_world import CLOSED, TODAY, register_school

YESTERDAY = TODAY - datetime.timedelta(days=1)


@pytest.fixture
def people(platform):
    return register_school(platform)


def take(who, class_name="Form 1 East", day=TODAY, marks=None, **options):
    with tenant_context("nairobi"):
        actor = service.Actor(who) if not isinstance(who, str) else service.Actor(name=who)
        return service.take(current_alias(), actor, class_name, day, marks or {}, **options)


def stored():
    with tenant_context("nairobi"):
        return (sorted(RegisterTaken.objects.values_list("class_name", "date", "session", "taken_by", "version")),
                sorted(Mark.objects.values_list("student__registration_no", "code", "reason")),
                AuditEvent.objects.count())


def refused(who, message, **arguments):
    before = stored()
    with pytest.raises(service.RegisterError) as error:
        take(who, **arguments)
    assert message in str(error.value)
    assert stored() == before  # nothing written
    return error.value


def test_a_register_keeps_who_took_it_and_only_the_students_not_present(people):
    result = take(people["teacher"], marks={"E-01": (ABSENT, ""), "E-02": (LATE, ""), "E-03": (PRESENT, ""),
                                            "E-04": (EXCUSED, "sick"), "E-05": (NOT_EXPECTED, "")})
    assert result.changed and result.replaced is None
    registers, marks, _ = stored()
    assert registers == [("Form 1 East", TODAY, "day", "mwalimu", 1)]
    assert marks == [("E-01", ABSENT, ""), ("E-02", LATE, ""), ("E-04", EXCUSED, "sick"), ("E-05", NOT_EXPECTED, "")]


def test_everyone_present_is_one_row_and_no_mark(people):
    take(people["teacher"])
    registers, marks, _ = stored()
    assert len(registers) == 1 and marks == []


def test_saving_the_same_register_twice_writes_nothing_more(people):
    marks = {"E-01": (ABSENT, "")}
    take(people["teacher"], marks=marks, version=0)
    again = take(people["teacher"], marks=marks, version=0)  # a retry after a timeout: the same form
    assert not again.changed
    registers, stored_marks, _ = stored()
    assert registers == [("Form 1 East", TODAY, "day", "mwalimu", 1)] and stored_marks == [("E-01", ABSENT, "")]


def test_the_later_of_two_editors_wins_whole_and_learns_whose_save_it_replaced(people):
    take(people["teacher"], marks={"E-01": (ABSENT, ""), "E-02": (LATE, "")}, version=0)
    later = take(people["registrar"], marks={"E-03": (ABSENT, "")}, version=0)  # opened before the first save
    assert later.changed and later.replaced[0] == "mwalimu"
    registers, marks, _ = stored()
    assert registers == [("Form 1 East", TODAY, "day", "wanjiru", 2)]
    assert marks == [("E-03", ABSENT, "")]  # the later save whole, nothing merged from the earlier one
    current = take(people["registrar"], marks={"E-03": (ABSENT, ""), "E-04": (LATE, "")}, version=2)
    assert current.replaced is None and current.register.version == 3


def test_a_teacher_takes_only_their_own_class(people):
    error = refused(people["teacher"], "may not take the register of Form 1 West", class_name="Form 1 West")
    assert isinstance(error, service.RegisterRefused)
    refused(people["viewer"], "may not take", class_name="Form 1 East")
    take(people["registrar"], class_name="Form 1 West", marks={"W-01": (ABSENT, "")})
    take(people["admin"], class_name="Form 1 West", marks={"W-02": (ABSENT, "")})
    assert [row[0] for row in stored()[1]] == ["W-02"]


def test_a_grade_without_classes_is_its_own_class(people):
    take(people["registrar"], class_name="Form 2", marks={"T-01": (LATE, "")})
    assert stored()[0][0][0] == "Form 2"


@pytest.mark.parametrize("arguments, message", [
    ({"day": CLOSED}, f"the school is closed on {CLOSED} (Holiday)"),
    ({"day": TODAY + datetime.timedelta(days=1)}, "is in the future"),
    ({"class_name": "Form 1 North"}, "class Form 1 North belongs to year Old, not to the current year"),
    ({"class_name": "Form 9"}, "there is no class Form 9"),
    ({"marks": {"W-01": (ABSENT, "")}}, "student W-01 is not in this class"),
    ({"marks": {"E-01": ("gone-fishing", "")}}, "unknown mark 'gone-fishing'"),
    ({"marks": {"E-01": (EXCUSED, "football")}}, "reason 'football' is not in the school's list"),
    ({"marks": {"E-01": (ABSENT, "sick")}}, "a reason goes with an excused absence only"),
    ({"session": "am"}, "session 'am': this school takes day"),
])
def test_bad_input_is_one_message_and_writes_nothing(people, arguments, message):
    refused(people["registrar"], message, **arguments)


def test_a_school_with_two_sessions_takes_morning_and_afternoon(people):
    with tenant_context("nairobi"):
        service.change_settings(current_alias(), two_sessions=True)
    refused(people["teacher"], "session 'day': this school takes am and pm")
    take(people["teacher"], session="am", marks={"E-01": (ABSENT, "")})
    take(people["teacher"], session="pm")
    assert [row[2] for row in stored()[0]] == ["am", "pm"]


def test_a_school_extends_the_reasons(people):
    with tenant_context("nairobi"):
        AbsenceReason.objects.create(name="Harvest")
    take(people["teacher"], marks={"E-01": (EXCUSED, "Harvest")})
    assert stored()[1] == [("E-01", EXCUSED, "Harvest")]


def test_a_day_that_is_not_a_school_day_has_no_register(people):
    with tenant_context("nairobi"):
        service.change_settings(current_alias(), weekdays="".join(d for d in "1234567" if d != str(TODAY.isoweekday())))
    refused(people["registrar"], "not a school day here")


def test_after_the_day_only_a_registrar_corrects_with_a_reason_and_the_trail_says_from_what(people):
    take(people["registrar"], day=YESTERDAY, marks={"E-01": (ABSENT, "")}, correction="taken on paper")
    refused(people["teacher"], "only a registrar may correct it", day=YESTERDAY)
    refused(people["registrar"], "corrected with a reason", day=YESTERDAY, marks={"E-01": (EXCUSED, "sick")})
    take(people["registrar"], day=YESTERDAY, marks={"E-01": (EXCUSED, "sick"), "E-02": (LATE, "")}, correction="note from home")
    with tenant_context("nairobi"):
        trail = list(AuditEvent.objects.filter(action="register_fix").order_by("pk").values_list("username", "target", "result"))
    assert trail[-2:] == [
        ("wanjiru", f"Form 1 East {YESTERDAY} day E-01: absent-unexcused -> absent-excused (sick)", "note from home"),
        ("wanjiru", f"Form 1 East {YESTERDAY} day E-02: present -> late", "note from home"),
    ]
    assert stored()[1] == [("E-01", EXCUSED, "sick"), ("E-02", LATE, "")]


def test_a_student_who_left_the_class_keeps_their_marks(people):
    take(people["teacher"], marks={"E-01": (ABSENT, "")})
    with tenant_context("nairobi"):
        from School.models import Student

        Student.objects.filter(registration_no="E-01").update(grade="Form 1 West")
    again = take(people["teacher"], marks={"E-02": (LATE, "")}, version=1)
    assert again.changed
    assert stored()[1] == [("E-01", ABSENT, ""), ("E-02", LATE, "")]


def test_a_saved_register_is_announced_once_for_the_guardians_mails_to_come(people):
    heard = []

    def listener(sender, using, register, marks, changed, **kwargs):
        heard.append((register.class_name, marks))

    service.register_saved.connect(listener)
    try:
        take(people["teacher"], marks={"E-01": (ABSENT, "")})
        take(people["teacher"], marks={"E-01": (ABSENT, "")})  # the retry changes nothing: no second announcement
        refused(people["teacher"], "is in the future", day=TODAY + datetime.timedelta(days=1))
    finally:
        service.register_saved.disconnect(listener)
    assert heard == [("Form 1 East", {"E-01": (ABSENT, "")})]


def test_students_attending_less_than_the_threshold_this_term_are_listed_for_follow_up(people):
    from School.register import reading

    for back in (1, 2, 4, 5):  # four registers before today (the day 3 back is closed)
        day = TODAY - datetime.timedelta(days=back)
        marks = {"E-01": (ABSENT, "")} if back != 5 else {"E-01": (ABSENT, ""), "E-02": (EXCUSED, "sick")}
        take(people["registrar"], day=day, marks=marks, correction="paper")
    take(people["teacher"], marks={"E-03": (NOT_EXPECTED, "")})
    with tenant_context("nairobi"):
        found = reading.persistent_absence(current_alias(), TODAY)
        assert [(row["regno"], row["absent"], row["expected"], row["rate"]) for row in found] == [
            ("E-01", 4, 5, 20.0), ("E-02", 1, 5, 80.0)]
        service.change_settings(current_alias(), follow_up_below=50)
        assert [row["regno"] for row in reading.persistent_absence(current_alias(), TODAY)] == ["E-01"]
