"""A register taken, its marks, the school's absence reasons and register settings: each school's own rows.

Small on purpose: a class-day is one RegisterTaken row plus a Mark per student
who was not simply present. A class is named as on its page (its name in the
year, or its grade where the school has no classes), so the register is kept
by that name and year, not by a SchoolClass row a grade-only school lacks.

A group other than a class (a trip, a team: RegisterGroup and its members) has
its own registers, GroupRegister and GroupMark, made of the same parts. They are
kept apart on purpose: every figure of attendance (today, persistent absence,
a student's rate, the ministry's, the absence mails, transfers) reads the class
registers only, so a trip can never count as a second session of school.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from School.models import Student
from School.register.codes import CODES, LABELS
from School.school_year.models import SchoolYear


class Session(models.TextChoices):
    DAY = "day", _("Whole day")
    MORNING = "am", _("Morning")
    AFTERNOON = "pm", _("Afternoon")


class RegisterSettings(models.Model):
    """The school's register settings: one row, `key` "school" (absent: the defaults)."""

    key = models.CharField(max_length=10, unique=True, default="school")
    two_sessions = models.BooleanField(_("two registers a day (morning and afternoon)"), default=False)
    # ISO weekday digits (1 Monday .. 7 Sunday): a school with Saturday classes adds 6.
    weekdays = models.CharField(_("school days of the week"), max_length=7, default="12345")
    # Students attending less than this share of their registers this term are listed for follow-up.
    follow_up_below = models.PositiveSmallIntegerField(_("follow-up below (%)"), default=90)
    # Off until the school turns it on: a mail to a family is the school's decision, not the platform's.
    absence_mails = models.BooleanField(_("email the primary guardian of a student marked absent"), default=False)

    class Meta:
        verbose_name = _("register settings")
        verbose_name_plural = _("register settings")


class AbsenceReason(models.Model):
    """A reason for an excused absence the school added to the built-in ones."""

    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("absence reason")
        verbose_name_plural = _("absence reasons")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Taken(models.Model):
    """What every register holds, a class's or a group's: its day and session, who took it, when, its version."""

    date = models.DateField(_("date"))
    session = models.CharField(_("session"), max_length=3, choices=Session.choices, default=Session.DAY)
    taken_by = models.CharField(_("taken by"), max_length=150, blank=True)
    taken_at = models.DateTimeField(_("taken at"))
    # Raised by every save that changed something: what the version check compares.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True


class MarkFields(models.Model):
    """A student who was not simply present on a register (present students have no row)."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="+", verbose_name=_("student"))
    code = models.CharField(_("mark"), max_length=20, choices=[(code, LABELS[code]) for code in CODES])
    reason = models.CharField(_("reason"), max_length=60, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.student_id} {self.code}"


class RegisterTaken(Taken):
    year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="+", verbose_name=_("year"))
    class_name = models.CharField(_("class"), max_length=40)

    class Meta:
        verbose_name = _("register")
        verbose_name_plural = _("registers")
        ordering = ["date", "class_name", "session"]
        constraints = [
            models.UniqueConstraint(fields=["year", "class_name", "date", "session"], name="one_register_per_class_day"),
        ]
        indexes = [models.Index(fields=["date"], name="register_date_idx")]

    def __str__(self):
        return f"{self.class_name} {self.date} {self.session}"


class Mark(MarkFields):
    """A student who was not simply present on a class's register (present students have no row)."""

    register = models.ForeignKey(RegisterTaken, on_delete=models.CASCADE, related_name="marks", verbose_name=_("register"))

    class Meta:
        verbose_name = _("mark")
        verbose_name_plural = _("marks")
        constraints = [models.UniqueConstraint(fields=["register", "student"], name="one_mark_per_student")]
        indexes = [models.Index(fields=["student"], name="mark_student_idx")]


class RegisterGroup(models.Model):
    """A group of the year other than a class (a trip, a team) whose register its teacher in charge takes."""

    year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="+", verbose_name=_("year"))
    name = models.CharField(_("name"), max_length=60)
    # Its days: none given, the whole year (a team); a trip is one day, first and last the same.
    first_day = models.DateField(_("first day"), null=True, blank=True)
    last_day = models.DateField(_("last day"), null=True, blank=True)
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("teacher in charge"))
    created_by = models.CharField(_("created by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("register group")
        verbose_name_plural = _("register groups")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["year", "name"], name="group_name_in_year")]

    def __str__(self):
        return self.name


class GroupMember(models.Model):
    group = models.ForeignKey(RegisterGroup, on_delete=models.CASCADE, related_name="members", verbose_name=_("group"))
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="+", verbose_name=_("student"))

    class Meta:
        verbose_name = _("group member")
        verbose_name_plural = _("group members")
        constraints = [models.UniqueConstraint(fields=["group", "student"], name="one_membership_per_group")]
        indexes = [models.Index(fields=["student"], name="group_member_student_idx")]


class GroupRegister(Taken):
    """A group's register of one day: an extra record beside the class's, never counted as attendance at school."""

    # PROTECT: a group whose register was taken keeps it (the record of who went on the trip).
    group = models.ForeignKey(RegisterGroup, on_delete=models.PROTECT, related_name="registers", verbose_name=_("group"))

    class Meta:
        verbose_name = _("group register")
        verbose_name_plural = _("group registers")
        ordering = ["date", "session"]
        constraints = [models.UniqueConstraint(fields=["group", "date", "session"], name="one_register_per_group_day")]


class GroupMark(MarkFields):
    register = models.ForeignKey(GroupRegister, on_delete=models.CASCADE, related_name="marks", verbose_name=_("register"))

    class Meta:
        verbose_name = _("group mark")
        verbose_name_plural = _("group marks")
        constraints = [models.UniqueConstraint(fields=["register", "student"], name="one_group_mark_per_student")]
        indexes = [models.Index(fields=["student"], name="group_mark_student_idx")]


class AbsenceNotice(models.Model):
    """The one absence mail of a student for a day: its row is the claim that makes a second one impossible."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="+", verbose_name=_("student"))
    date = models.DateField(_("date"))
    email = models.EmailField(_("email"))
    queued_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    send_error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("absence mail")
        verbose_name_plural = _("absence mails")
        constraints = [models.UniqueConstraint(fields=["student", "date"], name="one_absence_mail_per_student_day")]
        indexes = [models.Index(fields=["date"], name="absence_notice_date_idx")]

    def __str__(self):
        return f"{self.student_id} {self.date}"


class CarriedAttendance(models.Model):
    """A year of attendance at an earlier school, as that school's registers counted it (read-only here).

    Names, not keys, as School/school_year's CarriedEnrolment: the earlier
    school's years and classes are not this school's. Written once per transfer.
    """

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="+", verbose_name=_("student"))
    transfer_key = models.UUIDField()
    position = models.IntegerField()
    school = models.CharField(_("school"), max_length=200)
    year = models.CharField(_("year"), max_length=20)
    expected = models.PositiveIntegerField(_("registers"), default=0)
    late = models.PositiveIntegerField(default=0)
    excused = models.PositiveIntegerField(default=0)
    unexcused = models.PositiveIntegerField(default=0)
    not_expected = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("attendance at an earlier school")
        verbose_name_plural = _("attendance at earlier schools")
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["transfer_key", "position"], name="carried_attendance_once")]
        indexes = [models.Index(fields=["student"], name="carried_attendance_student_idx")]


class CarriedMark(models.Model):
    """A mark (not present) a transferred student had at an earlier school: the legal record's detail, read-only."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="+", verbose_name=_("student"))
    transfer_key = models.UUIDField()
    position = models.IntegerField()
    school = models.CharField(_("school"), max_length=200)
    class_name = models.CharField(_("class"), max_length=40)
    date = models.DateField(_("date"))
    session = models.CharField(_("session"), max_length=3)
    code = models.CharField(_("mark"), max_length=20)
    reason = models.CharField(_("reason"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("mark at an earlier school")
        verbose_name_plural = _("marks at earlier schools")
        ordering = ["date", "session"]
        constraints = [models.UniqueConstraint(fields=["transfer_key", "position"], name="carried_mark_once")]
        indexes = [models.Index(fields=["student", "date"], name="carried_mark_student_idx")]
