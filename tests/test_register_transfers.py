"""A transfer carries the student's attendance (issue 35): the receiving school sees the earlier school's figures
per year and the marks not present, read-only, once however often the transfer's steps run."""

import datetime

from School.context import current_alias, tenant_context
from School.models import Student, StudentsStamp
from School.register import groups, reading
from School.register.codes import ABSENT, LATE
from School.register.models import CarriedAttendance, CarriedMark, GroupMember
from School.register.carry import carry_attendance
from School.register.stamp import REGISTERS
from School.transfers.parts import Move
from School.utils import school_by_name
from tests.people_helpers import member, signed_in
from tests.register_world import TODAY, register_school
from tests.test_register import take


def test_the_receiving_school_sees_the_earlier_attendance_read_only(platform, run_cli):
    people = register_school(platform)
    yesterday = TODAY - datetime.timedelta(days=1)
    with tenant_context("nairobi"):  # a trip's group: E-01 leaves it with the school, E-02 stays
        groups.create(current_alias(), "test", "Museum trip", members=["E-01", "E-02"])
    take(people["registrar"], day=yesterday, marks={"E-01": (ABSENT, "")}, correction="paper")
    take(people["teacher"], marks={"E-01": (LATE, ""), "E-02": (ABSENT, "")})
    platform.add_school("kisumu", ["kisumu.localhost"], "Kisumu High")
    member("kisumu", "head", superuser=True)
    with tenant_context("kisumu"):
        registers_before = StudentsStamp.current_tokens(current_alias(), (REGISTERS,)).get(REGISTERS)
    result = run_cli("schools", "transfer", "nairobi", "E-01", "--to", "kisumu", "--accept")
    assert result.returncode == 0, result.stderr
    with tenant_context("kisumu"):
        student = Student.objects.get(registration_no="E-01")
        earlier = [row for row in reading.student_attendance(current_alias(), student) if row["school"]]
        assert [(row["expected"], row["present"], row["late"], row["unexcused"], row["excused"], row["rate"])
                for row in earlier] == [(2, 1, 1, 1, 0, 50.0)]
        assert earlier[0]["period"].startswith("Nairobi School · ")
        assert sorted(CarriedMark.objects.values_list("school", "class_name", "date", "code")) == [
            ("Nairobi School", "Form 1 East", yesterday, ABSENT), ("Nairobi School", "Form 1 East", TODAY, LATE)]
        key = CarriedAttendance.objects.get().transfer_key
        # The carried marks renewed the receiver's REGISTERS stamp: no class sheet kept before them is served.
        assert StudentsStamp.current_tokens(current_alias(), (REGISTERS,)).get(REGISTERS) not in (None, registers_before)
    # The transfer's steps run again after a crash: nothing is carried twice.
    with tenant_context("nairobi"):
        original = Student.objects.get(registration_no="E-01")
    carry_attendance([Move(key, school_by_name("nairobi"), school_by_name("kisumu"), original, student)], TODAY)
    with tenant_context("kisumu"):
        assert (CarriedAttendance.objects.count(), CarriedMark.objects.count()) == (1, 2)
        page = signed_in("kisumu.localhost", "head").get(f"/students/{student.pk}/").content.decode()
        assert "Nairobi School · " in page.split('id="attendance-figures"')[1]
    with tenant_context("nairobi"):  # the sender keeps its registers whole: its legal record
        assert reading.student_attendance("nairobi", original)[0]["expected"] == 2
        # ... and the student, gone, leaves its groups (a trip, a team): their earlier group marks stay with it.
        assert list(GroupMember.objects.values_list("student__registration_no", flat=True)) == ["E-02"]
