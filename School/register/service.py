"""The register's rules, shared by the page and the command line: check everything, then write it whole.

    result = take(alias, Actor(user), "Form 2 East", day, {regno: (code, reason)}, version=0)
    result = take(alias, Actor(user), groups.find_group(alias, "Museum trip"), day, marks)   # a group's

A register belongs to a roll: a class (SchoolClassRef, named as its page
names it) or a group other than a class (groups.GroupRef, a trip or a team).
The roll says where its registers are kept, who is on it and which of its days
and sessions take one; everything else is the same rules for both.

Bad input raises RegisterError (one line, nothing written); someone who may
not take this register, RegisterRefused. Saving what is already stored writes
nothing, so a retry after a timeout is harmless; a save made on an older
version than the stored one still wins whole, and the result names the save it
replaced so the page can tell the person whose save was replaced.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone

from School.context import current_school
from School.locale.activation import zone_of
from School.models import Student
from School.register.codes import BUILT_IN_REASONS, CODES, EXCUSED, PRESENT
from School.register.models import AbsenceReason, Mark, RegisterSettings, RegisterTaken, Session
from School.register.stamp import registers_changed
from School.school_year.models import ClosedDay, Grade, SchoolClass, SchoolYear
from School.security import audit

logger = logging.getLogger(__name__)

# Model permissions Django makes: Teachers hold "add" (their own classes), registrars and School admins "change" (any).
TAKE_OWN = "register.add_registertaken"
TAKE_ANY = "register.change_registertaken"
READ = "register.view_registertaken"


# Sent once a register's save is committed, with what it now holds: the guardians' absence mails
# (absence_mails.py) listen, and queue their job only then, so a mail that cannot be sent never touches
# the saved register. Arguments: using, register, marks ({regno: (code, reason)}), changed (bool).
register_saved = Signal()


class RegisterError(Exception):
    """Input that cannot make a register; the message says why in one line."""


class RegisterRefused(RegisterError):
    """The person may not take or correct this register."""


@dataclass(frozen=True)
class Actor:
    """Who takes the register: a user (page) or an operator's name (command line, allowed everything)."""

    user: object = None
    name: str = ""

    @property
    def username(self):
        return self.user.get_username() if self.user is not None else self.name

    def may(self, permission):
        return self.user is None or (self.user.is_active and self.user.has_perm(permission))


@dataclass(frozen=True)
class SchoolClassRef:
    """A class as its page names it: a SchoolClass of the year, or a grade where the school has none."""

    name: str
    year: SchoolYear
    teacher_id: object = None

    registers_model = RegisterTaken
    marks_model = Mark
    param = "class"  # the pages' and the API's query parameter naming it
    not_on_it = "is not in this class"

    @property
    def label(self):
        return self.name

    def key(self, day, session):
        return {"year": self.year, "class_name": self.name, "date": day, "session": str(session)}

    def students(self, using):
        return class_students(using, self)

    def sessions(self, using, settings=None):
        return sessions(using, settings)

    def check_span(self, day):
        """A class takes a register every school day of its year (check_day)."""

    def written(self, using):
        registers_changed(using)  # in the save's transaction: the kept class sheets see both or neither


@dataclass
class SaveResult:
    register: RegisterTaken
    changed: bool
    marks: dict = field(default_factory=dict)  # {registration_no: (code, reason)}, non-present only
    replaced: tuple = None  # (username, taken_at) of a newer save this one replaced


def school_today():
    return timezone.localtime(timezone.now(), zone_of(current_school())).date()


def school_settings(using):
    """The school's register settings (the defaults when it set none)."""
    return RegisterSettings.objects.using(using).filter(key="school").first() or RegisterSettings()


def change_settings(using, **values):
    RegisterSettings.objects.using(using).update_or_create(key="school", defaults=values)


def sessions(using, settings=None):
    """The sessions a day has at this school: one, or morning and afternoon."""
    two = (settings or school_settings(using)).two_sessions
    return [Session.MORNING, Session.AFTERNOON] if two else [Session.DAY]


def reasons(using):
    """{stored key: label}: the built-in reasons, then the school's own."""
    found = dict(BUILT_IN_REASONS)
    found.update((name, name) for name in AbsenceReason.objects.using(using).values_list("name", flat=True))
    return found


def current_year(using):
    year = SchoolYear.objects.using(using).filter(is_current=True).first()
    if year is None:
        raise RegisterError("the school has no current year: set it with `calendar`")
    return year


def find_class(using, name):
    """The current year's class called `name` (or the grade, where the grade has no classes)."""
    year = current_year(using)
    name = str(name).strip()
    school_class = SchoolClass.objects.using(using).filter(year=year, name=name).first()
    if school_class is not None:
        return SchoolClassRef(school_class.name, year, school_class.teacher_id)
    grade = Grade.objects.using(using).filter(name=name).first()
    if grade is not None and not SchoolClass.objects.using(using).filter(year=year, grade=grade).exists():
        return SchoolClassRef(grade.name, year)
    if grade is None and Student.objects.using(using).filter(status=Student.Status.ACTIVE, grade=name).exists():
        return SchoolClassRef(name, year)  # a class only the student rows know (free text)
    other = SchoolClass.objects.using(using).filter(name=name).exclude(year=year).select_related("year").first()
    if other is not None:
        raise RegisterError(f"class {name} belongs to year {other.year.name}, not to the current year {year.name}")
    raise RegisterError(f"there is no class {name} in year {year.name}")


def class_students(using, ref):
    """{registration_no: Student} of the class's active students, in register order."""
    rows = (Student.objects.using(using).filter(status=Student.Status.ACTIVE, grade=ref.name)
            .order_by("second_name", "first_name", "registration_no").only("pk", "registration_no", "first_name", "second_name"))
    return {student.registration_no: student for student in rows}


def may_take(actor, ref):
    if actor.may(TAKE_ANY):
        return True
    return actor.may(TAKE_OWN) and ref.teacher_id is not None and ref.teacher_id == actor.user.pk


def check_day(using, ref, day, session):
    today = school_today()
    if day > today:
        raise RegisterError(f"{day} is in the future: a register is taken on its day or after")
    if not ref.year.first_day <= day <= ref.year.last_day:
        raise RegisterError(f"{day} is not in the current year {ref.year.name} ({ref.year.first_day}..{ref.year.last_day})")
    closed = ClosedDay.objects.using(using).filter(year=ref.year, first_day__lte=day, last_day__gte=day).first()
    if closed is not None:
        raise RegisterError(f"the school is closed on {day}{f' ({closed.reason})' if closed.reason else ''}: no register")
    settings = school_settings(using)
    if str(day.isoweekday()) not in settings.weekdays:
        raise RegisterError(f"{day} is a {day:%A}, not a school day here: no register")
    ref.check_span(day)
    allowed = [str(value) for value in ref.sessions(using, settings)]
    if str(session) not in allowed:
        raise RegisterError(f"session '{session}': this school takes {' and '.join(allowed)}")


def check_marks(using, students, marks, not_on_it=SchoolClassRef.not_on_it):
    """{regno: (code, reason)} -> {regno: (code, reason)} without "present"; refuses what is not right."""
    known = reasons(using)
    checked = {}
    for regno, (code, reason) in marks.items():
        if regno not in students:
            raise RegisterError(f"student {regno} {not_on_it}")
        if code not in CODES:
            raise RegisterError(f"unknown mark {code!r}: use one of {', '.join(CODES)}")
        reason = (reason or "").strip()
        if code == EXCUSED:
            if reason not in known:
                raise RegisterError(f"{regno}: reason {reason!r} is not in the school's list ({', '.join(known)})")
        elif reason:
            raise RegisterError(f"{regno}: a reason goes with an excused absence only")
        if code != PRESENT:
            checked[regno] = (code, reason)
    return checked


def stored_marks(register, students):
    by_pk = {student.pk: regno for regno, student in students.items()}
    if register is None:
        return {}
    # A student who has left the class keeps their marks, out of what this save compares and replaces.
    return {by_pk[student]: (code, reason)
            for student, code, reason in register.marks.values_list("student_id", "code", "reason") if student in by_pk}


def take(using, actor, roll, day, marks, session=Session.DAY, version=None, correction=""):
    """Take (or correct) one register; `version` is the one the taker saw (0: none yet, None: do not check).

    `roll`: a class's name, or a roll already found (a class's or a group's ref)."""
    ref = find_class(using, roll) if isinstance(roll, str) else roll
    if not may_take(actor, ref):
        raise RegisterRefused(f"{actor.username or 'you'} may not take the register of {ref.label}")
    check_day(using, ref, day, session)
    students = ref.students(using)
    wanted = check_marks(using, students, marks, ref.not_on_it)
    after_the_day = day < school_today()
    correction = str(correction).strip()
    if after_the_day:
        if not actor.may(TAKE_ANY):
            raise RegisterRefused(f"the register of {day} is closed: only a registrar may correct it")
        if not correction:
            raise RegisterError(f"a register of an earlier day ({day}) is corrected with a reason")
    key = ref.key(day, session)
    registers = ref.registers_model.objects.using(using)
    register = registers.filter(**key).first()
    before = stored_marks(register, students)
    if register is not None and before == wanted:
        return SaveResult(register, changed=False, marks=wanted)
    replaced = None
    if register is not None and version is not None and version != register.version:
        replaced = (register.taken_by, register.taken_at)
    try:
        with transaction.atomic(using=using):
            register = _write(using, ref, key, register, students, before, wanted, actor)
            if after_the_day:
                _audit(using, actor, ref, day, session, before, wanted, correction)
    except IntegrityError:
        # Someone saved this register's first version in the same instant: theirs was the earlier save.
        register = registers.get(**key)
        replaced = (register.taken_by, register.taken_at)
        with transaction.atomic(using=using):
            register = _write(using, ref, key, register, students, stored_marks(register, students), wanted, actor)
    logger.info("register %s %s %s saved by %s (version %s, %d marks)", ref.label, day, session, actor.username,
                register.version, len(wanted), extra={"school": using})
    transaction.on_commit(lambda: register_saved.send(sender=ref.registers_model, using=using, register=register, marks=wanted,
                                                      changed=True), using=using)
    return SaveResult(register, changed=True, marks=wanted, replaced=replaced)


def _write(using, ref, key, register, students, before, wanted, actor):
    now = timezone.now()
    if register is None:
        register = ref.registers_model.objects.using(using).create(**key, taken_by=actor.username, taken_at=now, version=1)
    else:
        register.version += 1
        register.taken_by, register.taken_at = actor.username, now
        register.save(using=using, update_fields=["version", "taken_by", "taken_at"])
    gone = [students[regno].pk for regno, mark in before.items() if wanted.get(regno) != mark]
    if gone:
        ref.marks_model.objects.using(using).filter(register=register, student_id__in=gone).delete()
    ref.marks_model.objects.using(using).bulk_create(
        ref.marks_model(register=register, student=students[regno], code=code, reason=reason)
        for regno, (code, reason) in wanted.items() if before.get(regno) != (code, reason)
    )
    ref.written(using)
    return register


def _audit(using, actor, ref, day, session, before, wanted, correction):
    """One audit event per changed mark: who, which student, from what to what, and why."""
    for regno in sorted(set(before) | set(wanted)):
        old, new = before.get(regno, (PRESENT, "")), wanted.get(regno, (PRESENT, ""))
        if old != new:
            audit.record(None, audit.REGISTER_CORRECTED, username=actor.username, using=using,
                         target=f"{ref.label} {day} {session} {regno}: {_mark_text(old)} -> {_mark_text(new)}",
                         result=correction)


def _mark_text(mark):
    code, reason = mark
    return f"{code} ({reason})" if reason else code


def parse_day(text):
    if not text:
        return school_today()
    try:
        return datetime.date.fromisoformat(str(text))
    except ValueError:
        raise RegisterError(f"{text!r} is not a date: write YYYY-MM-DD") from None
