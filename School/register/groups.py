"""Registers for groups other than a class (a trip, a team): the groups, their members, and their rolls.

    group = create(alias, "operator:ops", "Museum trip", teacher="mwalimu", members=["E-01"], first=day, last=day)
    change_members(alias, find_group(alias, "Museum trip"), add=["E-02"], remove=["E-01"])
    service.take(alias, actor, find_group(alias, "Museum trip"), day, marks)

A group belongs to the current year; Registrars and School admins make it and
choose its members among the school's active students; its teacher in charge
(who must be one who takes registers) or any registrar takes its register, with
the class register's rules (service.py): the school's open days only, inside the
group's own days, one register a day. A group's register is an extra record:
nothing that counts attendance reads it (models.py). Bad input raises
service.RegisterError with one line in the active language (a command's is
English), and nothing is written.
"""

import logging
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from School.models import Student
from School.register import service
from School.register.models import GroupMark, GroupMember, GroupRegister, RegisterGroup, Session
from School.validation import normalise_text

logger = logging.getLogger(__name__)

MANAGE = "register.change_registergroup"
NAME_LENGTH = RegisterGroup._meta.get_field("name").max_length


@dataclass(frozen=True)
class GroupRef:
    """A group as service.take's roll: where its registers are kept, who is on it, which days take one."""

    name: str
    year: object
    teacher_id: object
    pk: object
    first_day: object = None
    last_day: object = None

    registers_model = GroupRegister
    marks_model = GroupMark
    param = "group"
    not_on_it = "is not in this group"

    @property
    def label(self):
        return f"group {self.name}"

    def key(self, day, session):
        return {"group_id": self.pk, "date": day, "session": str(session)}

    def students(self, using):
        """{registration_no: Student} of the group's members still active at the school, in register order."""
        members = GroupMember.objects.using(using).filter(group_id=self.pk).values_list("student_id", flat=True)
        rows = (Student.objects.using(using).filter(pk__in=list(members), status=Student.Status.ACTIVE)
                .order_by("second_name", "first_name", "registration_no")
                .only("pk", "registration_no", "first_name", "second_name"))
        return {student.registration_no: student for student in rows}

    def sessions(self, using, settings=None):
        # One register a day, whatever the school's classes take: a trip or a match is one roll call.
        return [Session.DAY]

    def check_span(self, day):
        if (self.first_day and day < self.first_day) or (self.last_day and day > self.last_day):
            raise service.RegisterError(f"{day} is not one of the group's days ({days_text(self)})")

    def written(self, using):
        """No class sheet shows a group's register: nothing kept to renew."""


def days_text(group):
    if group.first_day is None and group.last_day is None:
        return _("the whole year")
    return f"{group.first_day or ''}..{group.last_day or ''}"


def ref_of(group):
    return GroupRef(group.name, group.year, group.teacher_id, group.pk, group.first_day, group.last_day)


def find_group(using, name):
    """The current year's group called `name`, as a roll for service.take."""
    year = service.current_year(using)
    group = RegisterGroup.objects.using(using).filter(year=year, name=normalise_text(str(name))).select_related("year").first()
    if group is None:
        raise service.RegisterError(_("There is no group %(name)s in year %(year)s.") % {"name": name, "year": year.name})
    return ref_of(group)


def year_groups(using, actor=None):
    """[{"group", "members", "registers", "teacher"}] of the current year; only the groups `actor` may take,
    where given and not one who may take any register."""
    year = service.current_year(using)
    groups = RegisterGroup.objects.using(using).filter(year=year).select_related("teacher")
    if actor is not None and not actor.may(service.TAKE_ANY):
        groups = groups.filter(teacher_id=actor.user.pk)
    groups = list(groups)
    ids = [group.pk for group in groups]
    members, registers = {}, {}
    for group_id in GroupMember.objects.using(using).filter(group_id__in=ids).values_list("group_id", flat=True):
        members[group_id] = members.get(group_id, 0) + 1
    for group_id in GroupRegister.objects.using(using).filter(group_id__in=ids).values_list("group_id", flat=True):
        registers[group_id] = registers.get(group_id, 0) + 1
    return [{"group": group, "members": members.get(group.pk, 0), "registers": registers.get(group.pk, 0),
             "teacher": group.teacher.get_username() if group.teacher_id else "", "days": days_text(group)}
            for group in groups]


def check_name(using, year, name):
    name = normalise_text(str(name or ""))
    if not name or len(name) > NAME_LENGTH:
        raise service.RegisterError(_("A group's name is 1 to %(length)d characters.") % {"length": NAME_LENGTH})
    if RegisterGroup.objects.using(using).filter(year=year, name=name).exists():
        raise service.RegisterError(_("There is already a group %(name)s in year %(year)s.") % {"name": name, "year": year.name})
    return name


def check_teacher(using, username):
    """The user in charge, who must be one who takes registers (a Teacher, a registrar); None for no one."""
    username = str(username or "").strip()
    if not username:
        return None
    user = get_user_model().objects.using(using).filter(username=username, is_active=True).first()
    if user is None:
        raise service.RegisterError(_("There is no active user %(name)s at this school.") % {"name": username})
    if not any(service.Actor(user).may(permission) for permission in (service.TAKE_OWN, service.TAKE_ANY)):
        raise service.RegisterError(_("%(name)s does not take registers: add them to the Teachers group first.")
                                    % {"name": username})
    return user


def check_days(year, first, last):
    for day in (first, last):
        if day is not None and not year.first_day <= day <= year.last_day:
            raise service.RegisterError(_("%(day)s is not in the year %(year)s (%(first)s..%(last)s).") % {
                "day": day, "year": year.name, "first": year.first_day, "last": year.last_day})
    if first is not None and last is not None and last < first:
        raise service.RegisterError(_("The group's last day is before its first."))


def active_students(using, regnos):
    """{registration_no: Student} for `regnos`, each an active student of the school; else RegisterError."""
    regnos = [str(regno).strip() for regno in regnos if str(regno).strip()]
    found = {student.registration_no: student for student in Student.objects.using(using).filter(
        registration_no__in=regnos).only("pk", "registration_no", "status")}
    for regno in regnos:
        if regno not in found:
            raise service.RegisterError(_("There is no student %(regno)s at this school.") % {"regno": regno})
        if found[regno].status != Student.Status.ACTIVE:
            raise service.RegisterError(_("Student %(regno)s is not active (%(status)s): only active students join a group.")
                                        % {"regno": regno, "status": found[regno].get_status_display()})
    return found


def create(using, created_by, name, teacher="", members=(), first=None, last=None):
    """Make a group of the current year with its members; RegisterError (nothing written) for bad input."""
    year = service.current_year(using)
    name = check_name(using, year, name)
    user = check_teacher(using, teacher)
    check_days(year, first, last)
    students = active_students(using, members)
    try:
        with transaction.atomic(using=using):
            group = RegisterGroup.objects.using(using).create(year=year, name=name, teacher=user, first_day=first,
                                                             last_day=last, created_by=created_by)
            GroupMember.objects.using(using).bulk_create(GroupMember(group=group, student=student)
                                                         for student in students.values())
    except IntegrityError:  # the same name made by someone else in the same instant
        raise service.RegisterError(_("There is already a group %(name)s in year %(year)s.") % {
            "name": name, "year": year.name}) from None
    logger.info("register group %s made by %s with %d members", name, created_by, len(students), extra={"school": using})
    return group


def change_members(using, ref, add=(), remove=()):
    """Add and remove members of a group (a GroupRef); (added, removed) counts. A member leaving keeps their marks."""
    adding = active_students(using, add)
    removing = [str(regno).strip() for regno in remove if str(regno).strip()]
    both = set(adding) & set(removing)
    if both:
        raise service.RegisterError(_("Student %(regno)s is both added and removed.") % {"regno": sorted(both)[0]})
    members = GroupMember.objects.using(using).filter(group_id=ref.pk)
    present = set(members.values_list("student_id", flat=True))
    gone = dict(Student.objects.using(using).filter(registration_no__in=removing, pk__in=list(present))
                .values_list("registration_no", "pk"))
    for regno in removing:
        if regno not in gone:
            raise service.RegisterError(_("Student %(regno)s is not in the group %(name)s.") % {"regno": regno, "name": ref.name})
    new = [student for student in adding.values() if student.pk not in present]
    with transaction.atomic(using=using):
        if gone:
            members.filter(student_id__in=list(gone.values())).delete()
        GroupMember.objects.using(using).bulk_create(GroupMember(group_id=ref.pk, student=student) for student in new)
    return len(new), len(gone)


def remove(using, ref):
    """Delete a group made by mistake; one whose register was taken stays, as the record of that register."""
    with transaction.atomic(using=using):
        if GroupRegister.objects.using(using).filter(group_id=ref.pk).exists():
            raise service.RegisterError(_("The group %(name)s has registers taken: it stays, as their record.")
                                        % {"name": ref.name})
        GroupMember.objects.using(using).filter(group_id=ref.pk).delete()
        RegisterGroup.objects.using(using).filter(pk=ref.pk).delete()
    logger.info("register group %s removed", ref.name, extra={"school": using})


def members_of(using, ref):
    """[Student] of the group, active or not (a student who left shows as such), in register order."""
    members = GroupMember.objects.using(using).filter(group_id=ref.pk).values_list("student_id", flat=True)
    return list(Student.objects.using(using).filter(pk__in=list(members)).order_by("second_name", "first_name", "registration_no")
                .only("pk", "registration_no", "first_name", "second_name", "grade", "status"))


def leave_groups(using, student_ids):
    """Students who left the school (a transfer out) leave its groups; their marks on taken registers stay."""
    GroupMember.objects.using(using).filter(student_id__in=list(student_ids)).delete()


def may_manage(actor):
    return actor.may(MANAGE)
