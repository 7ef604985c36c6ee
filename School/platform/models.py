"""Aggregate figures of each school and the daily national snapshot, kept in `default` only.

Only counts: no field here can hold a student's name, number or any other
personal value (School.router keeps both models in `default`).
"""

from django.db import models


class SchoolFigures(models.Model):
    """One school's students by class and status, and what the operator checks about it."""

    school = models.OneToOneField("School.School", on_delete=models.CASCADE, related_name="figures")
    total = models.PositiveIntegerField(default=0, db_index=True)
    active = models.PositiveIntegerField(default=0)
    graduated = models.PositiveIntegerField(default=0)
    transferred = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    # {class: {status: count}}; "" is a student with no class.
    by_class = models.JSONField(default=dict)
    # The school year (School/school_year/): its current year's name and {year: {grade: enrolments}}; "" a grade not set.
    current_year = models.CharField(max_length=20, blank=True)
    by_year = models.JSONField(default=dict, blank=True)
    # The active students by sex (School.platform.figures.SEXES), and {class: {sex: count}} of them.
    female = models.PositiveIntegerField(default=0)
    male = models.PositiveIntegerField(default=0)
    sex_not_recorded = models.PositiveIntegerField(default=0)
    by_sex = models.JSONField(default=dict)
    changed_at = models.DateTimeField(null=True, blank=True, help_text="When the counts last changed.")
    counted_at = models.DateTimeField(null=True, blank=True, db_index=True, help_text="When they were last counted.")
    # Growth: total minus the total at the start of the current growth window.
    baseline_total = models.PositiveIntegerField(default=0)
    baseline_at = models.DateTimeField(null=True, blank=True)
    growth = models.IntegerField(default=0, db_index=True)
    pending_migrations = models.PositiveIntegerField(default=0, help_text="As of the last count.")
    unreachable_at = models.DateTimeField(null=True, blank=True, db_index=True, help_text="Last failed attempt.")
    unreachable_error = models.CharField(max_length=500, blank=True)
    last_backup_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_backup_size = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "school figures"
        permissions = [("view_platform", "Can see the platform dashboard")]

    def __str__(self):
        return f"{self.school_id}: {self.total}"


class NationalSnapshot(models.Model):
    """The national totals of one day, for the trend (pruned after FIGURES_SNAPSHOT_DAYS)."""

    day = models.DateField(unique=True)
    schools = models.PositiveIntegerField(default=0)
    total = models.PositiveBigIntegerField(default=0)
    active = models.PositiveBigIntegerField(default=0)
    graduated = models.PositiveBigIntegerField(default=0)
    transferred = models.PositiveBigIntegerField(default=0)
    withdrawn = models.PositiveBigIntegerField(default=0)
    female = models.PositiveBigIntegerField(default=0)
    male = models.PositiveBigIntegerField(default=0)
    sex_not_recorded = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["day"]

    def __str__(self):
        return f"{self.day}: {self.total}"


class PlatformYear(models.Model):
    """One year of the platform (national) calendar, applied to schools by `schools calendar set|import`.

    Terms and closed days are kept with their year as lists of
    {"name" or "reason", "first", "last"} (ISO dates): the year is applied
    whole, and a school keeps its own copy (School/school_year/national.py).
    """

    name = models.CharField(max_length=20, unique=True, help_text="e.g. 2027 or 2027/28")
    first_day = models.DateField()
    last_day = models.DateField()
    terms = models.JSONField(default=list, blank=True, help_text='[{"name": "Term 1", "first": "2027-01-11", "last": "2027-04-01"}]')
    closed = models.JSONField(default=list, blank=True, help_text='[{"reason": "Easter", "first": "2027-03-26", "last": "2027-03-29"}]')
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["first_day"]
        verbose_name = "platform calendar year"

    def __str__(self):
        return self.name


class PlatformLadder(models.Model):
    """The national grade ladder (one row): grade names lowest first, and the final ones."""

    grades = models.JSONField(default=list)
    finals = models.JSONField(default=list, blank=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "platform grade ladder"

    def __str__(self):
        return " -> ".join(self.grades)


class LearnerNumber(models.Model):
    """A learner number the platform has issued (or imported): its keyed digest only, unique.

    The unique digest is what makes a number issued once across every school;
    the number itself is only in the school's own database (Student.learner_no).
    """

    digest = models.CharField(max_length=64, unique=True)
    issued_at = models.DateTimeField(auto_now_add=True)
    imported = models.BooleanField(default=False)

    def __str__(self):
        return self.digest[:12]


class StudentDigest(models.Model):
    """One student of one school as `default` may know it: keyed digests (School/identity/registry.py), no data.

    `student` is the student's primary key at its school (as text), so that
    the duplicates report can look the registration number up at the school.
    """

    school = models.ForeignKey("School.School", on_delete=models.CASCADE, related_name="student_digests")
    student = models.CharField(max_length=40)
    learner = models.CharField(max_length=64, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "student"], name="studentdigest_school_student")]
        indexes = [
            # With the school: the duplicates' grouping (schools per digest) is read from the index alone.
            models.Index(fields=["active", "learner", "school"], name="studentdigest_learner_idx"),
            models.Index(fields=["active", "fingerprint", "school"], name="studentdigest_fp_idx"),
        ]

    def __str__(self):
        return f"{self.school_id}/{self.student}"
