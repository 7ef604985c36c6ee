"""Years, terms, closed days, grades, classes, enrolments and promotions, in each school's own database.

Ids are never assumed to be integers (ObjectIds on MongoDB). What must hold
across rows (one current year, one enrolment per student per year, one
promotion out of and into a year) is a unique constraint, so that it holds on
MongoDB too, where there is no transaction to rely on.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from School.models import Student


class SchoolYearQuerySet(models.QuerySet):
    def overlapping(self, first, last):
        return self.filter(first_day__lte=last, last_day__gte=first)


class SchoolYear(models.Model):
    name = models.CharField(_("name"), max_length=20, unique=True, help_text=_("e.g. 2026 or 2026/27"))
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    is_current = models.BooleanField(_("current"), default=False)

    objects = SchoolYearQuerySet.as_manager()

    class Meta:
        verbose_name = _("school year")
        verbose_name_plural = _("school years")
        ordering = ["first_day"]
        constraints = [
            # At most one current year, on every engine; code keeps it at least one.
            models.UniqueConstraint(fields=["is_current"], condition=Q(is_current=True), name="one_current_year"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.first_day and self.last_day:
            if self.first_day > self.last_day:
                raise ValidationError(f"year {self.name}: the first day {self.first_day} is after the last day {self.last_day}")
            others = SchoolYear.objects.using(self._state.db).exclude(pk=self.pk)
            clash = others.overlapping(self.first_day, self.last_day).first()
            if clash:
                raise ValidationError(
                    f"year {self.name} ({self.first_day}..{self.last_day}) overlaps year {clash.name} "
                    f"({clash.first_day}..{clash.last_day})"
                )


class Term(models.Model):
    year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="terms", verbose_name=_("year"))
    name = models.CharField(_("name"), max_length=40)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["first_day"]
        constraints = [models.UniqueConstraint(fields=["year", "name"], name="term_name_in_year")]

    def __str__(self):
        return f"{self.year} {self.name}"


class ClosedDay(models.Model):
    """A day or a run of days the school is closed (holiday, closure); one day: first == last."""

    year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="closed_days", verbose_name=_("year"))
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    reason = models.CharField(_("reason"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("closed day")
        verbose_name_plural = _("closed days")
        ordering = ["first_day"]

    def __str__(self):
        return f"{self.first_day}..{self.last_day} {self.reason}"


class Grade(models.Model):
    """One rung of the school's ladder; `confirmed` is False for a ladder guessed from old records."""

    class Level(models.TextChoices):
        PRIMARY = "primary", _("Primary")
        LOWER_SECONDARY = "lower-secondary", _("Lower secondary")
        UPPER_SECONDARY = "upper-secondary", _("Upper secondary")

    name = models.CharField(_("name"), max_length=40, unique=True)
    position = models.PositiveIntegerField(_("position"))
    next_grade = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("next grade")
    )
    is_final = models.BooleanField(_("final"), default=False, help_text=_("Its students graduate."))
    # The level a ministry reports it under (UIS/ISCED: primary 1, lower secondary 2, upper secondary 3); "" not said.
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, blank=True, default="")
    isced = models.CharField(_("ISCED code"), max_length=10, blank=True, default="")
    confirmed = models.BooleanField(_("order confirmed"), default=True)

    class Meta:
        verbose_name = _("grade")
        verbose_name_plural = _("grades")
        ordering = ["position"]

    def __str__(self):
        return self.name


class SchoolClass(models.Model):
    """A stream or section of one grade in one year ("Form 2 East")."""

    year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="classes", verbose_name=_("year"))
    grade = models.ForeignKey(Grade, on_delete=models.PROTECT, related_name="classes", verbose_name=_("grade"))
    name = models.CharField(_("name"), max_length=40)
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("class teacher"),
    )
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)

    class Meta:
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["year", "name"], name="class_name_in_year")]

    def __str__(self):
        return f"{self.name} ({self.year})"


class Promotion(models.Model):
    """One promotion out of one year into the next: the record that makes a crashed one resumable.

    `lease_until` says a process is working on it: another process refuses
    until the lease runs out (a crashed process stops renewing it).
    """

    class State(models.TextChoices):
        STARTED = "started", _("Started")
        DONE = "done", _("Done")
        UNDOING = "undoing", _("Being undone")

    from_year = models.OneToOneField(SchoolYear, on_delete=models.PROTECT, related_name="promotion_out")
    to_year = models.OneToOneField(SchoolYear, on_delete=models.PROTECT, related_name="promotion_in")
    state = models.CharField(max_length=10, choices=State.choices, default=State.STARTED)
    repeat = models.JSONField(default=list, blank=True)
    leave = models.JSONField(default=list, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    username = models.CharField(max_length=150, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField()
    # The school the graduates are sent to as transfers (School/school_year/graduation.py), "" for none.
    graduates_to = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")

    def __str__(self):
        return f"{self.from_year} -> {self.to_year} ({self.state})"


class Enrolment(models.Model):
    class Outcome(models.TextChoices):
        ENROLLED = "enrolled", _("Still enrolled")
        PROMOTED = "promoted", _("Promoted")
        REPEATED = "repeated", _("Repeated")
        GRADUATED = "graduated", _("Graduated")
        TRANSFERRED_OUT = "transferred", _("Transferred out")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="enrolments", verbose_name=_("student"))
    year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("year"))
    grade = models.ForeignKey(Grade, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("grade"))
    school_class = models.ForeignKey(
        SchoolClass, null=True, blank=True, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("class")
    )
    first_day = models.DateField(_("first day"), null=True, blank=True)
    last_day = models.DateField(_("last day"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.ENROLLED)
    # Which promotion opened or closed this enrolment: what an undo removes or reopens.
    opened_by = models.ForeignKey(Promotion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    closed_by = models.ForeignKey(Promotion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        # Its own first day, not the year's: ordering by a related field is a join ($lookup) on every query.
        ordering = ["first_day"]
        constraints = [models.UniqueConstraint(fields=["student", "year"], name="one_enrolment_per_year")]
        indexes = [models.Index(fields=["year", "outcome"], name="enrolment_year_outcome_idx")]

    def __str__(self):
        return f"{self.student_id} {self.year} {self.grade}"

    def clean(self):
        if self.school_class_id and self.year_id and self.school_class.year_id != self.year_id:
            raise ValidationError(f"class {self.school_class.name} belongs to year {self.school_class.year}, not {self.year}")
        if self.school_class_id and self.grade_id and self.school_class.grade_id != self.grade_id:
            raise ValidationError(f"class {self.school_class.name} is of grade {self.school_class.grade}, not {self.grade}")


class PlatformStamp(models.Model):
    """What the platform last wrote here ("year:2027", "ladder") as a digest of its content.

    A year or ladder that no longer matches its stamp was changed by the
    school since: a later platform change leaves it alone (School/school_year/national.py).
    """

    key = models.CharField(max_length=40, unique=True)
    digest = models.CharField(max_length=64)
    applied_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("platform stamp")
        verbose_name_plural = _("platform stamps")

    def __str__(self):
        return f"{self.key} {self.digest[:8]}"


class CarriedEnrolment(models.Model):
    """A year a transferred student spent at an earlier school, as that school recorded it (read-only here).

    Names, not keys: the earlier school's years, grades and classes are not
    this school's. Written once per transfer (unique per transfer and position).
    """

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="carried_enrolments", verbose_name=_("student"))
    transfer_key = models.UUIDField()
    position = models.IntegerField()
    school = models.CharField(_("school"), max_length=200)
    year = models.CharField(_("year"), max_length=20)
    first_day = models.DateField(_("first day"), null=True, blank=True)
    last_day = models.DateField(_("last day"), null=True, blank=True)
    grade = models.CharField(_("grade"), max_length=40, blank=True)
    school_class = models.CharField(_("class"), max_length=40, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Enrolment.Outcome.choices)

    class Meta:
        verbose_name = _("enrolment at an earlier school")
        verbose_name_plural = _("enrolments at earlier schools")
        ordering = ["first_day", "position"]
        constraints = [models.UniqueConstraint(fields=["transfer_key", "position"], name="carried_enrolment_once")]
        indexes = [models.Index(fields=["student", "first_day"], name="carried_enrolment_student_idx")]

    def __str__(self):
        return f"{self.school} {self.year} {self.grade}"
