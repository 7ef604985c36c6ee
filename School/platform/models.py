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
    # {grade: level} (School.school_year.models.Grade.Level) and {grade: ISCED code}, where the platform sets them.
    levels = models.JSONField(default=dict, blank=True)
    isced = models.JSONField(default=dict, blank=True)
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
class YearAggregates(models.Model):
    """One school's counts for one school year, for the ministry's indicators (School/indicators/).

    Counts only, computed at the school (School/indicators/aggregate.py) and
    kept following its writes like SchoolFigures; no field can hold a
    student's name, number, date of birth or any other personal value.
    Only numbers, so that a row stays narrow: the national and cluster sums
    read 100,000 of them with one aggregate query. The counts by grade, sex
    and age are in YearDetail, read for the tables by grade and the census.
    """

    school = models.ForeignKey("School.School", on_delete=models.CASCADE, related_name="year_aggregates")
    year = models.CharField(max_length=20)
    first_day = models.DateField(null=True, blank=True)
    last_day = models.DateField(null=True, blank=True)
    is_current = models.BooleanField(default=False)
    # The promotion out of this year is done: its outcomes are final.
    closed = models.BooleanField(default=False)
    # Sums the national and cluster lines read with one aggregate query, each also by sex (_female, _male):
    # base is enrolled less transferred out to a platform school (the flow rates' denominator), promoted counts
    # graduates of a final grade, transition_from the last primary grade's base, transition_into the new entrants
    # (neither repeating nor transferred out) to the first lower secondary grade.
    enrolled = models.PositiveIntegerField(default=0)
    enrolled_female = models.PositiveIntegerField(default=0)
    enrolled_male = models.PositiveIntegerField(default=0)
    base = models.PositiveIntegerField(default=0)
    base_female = models.PositiveIntegerField(default=0)
    base_male = models.PositiveIntegerField(default=0)
    promoted = models.PositiveIntegerField(default=0)
    promoted_female = models.PositiveIntegerField(default=0)
    promoted_male = models.PositiveIntegerField(default=0)
    repeated = models.PositiveIntegerField(default=0)
    repeated_female = models.PositiveIntegerField(default=0)
    repeated_male = models.PositiveIntegerField(default=0)
    transition_from = models.PositiveIntegerField(default=0)
    transition_from_female = models.PositiveIntegerField(default=0)
    transition_from_male = models.PositiveIntegerField(default=0)
    transition_into = models.PositiveIntegerField(default=0)
    transition_into_female = models.PositiveIntegerField(default=0)
    transition_into_male = models.PositiveIntegerField(default=0)
    repeaters = models.PositiveIntegerField(default=0)
    # Members of the school's Teachers group (School/accounts/groups.py), active users, counted when the year is counted.
    teachers = models.PositiveIntegerField(default=0)
    present = models.PositiveBigIntegerField(default=0)
    possible = models.PositiveBigIntegerField(default=0)
    persistent = models.PositiveIntegerField(default=0)
    # The students the latest term's persistent absence is a share of.
    persistent_of = models.PositiveIntegerField(default=0)
    # The register's classes and the last day any register was taken (the current year's).
    register_classes = models.PositiveIntegerField(default=0)
    last_register_day = models.DateField(null=True, blank=True)
    # GER's and NER's numerators (School/indicators/levels.py): enrolled at each level of any age ("at") and of the
    # level's official ages ("of_age"), each also by sex; `level_ages` the official ages they were counted with.
    at_primary = models.PositiveIntegerField(default=0)
    at_primary_female = models.PositiveIntegerField(default=0)
    at_primary_male = models.PositiveIntegerField(default=0)
    of_age_primary = models.PositiveIntegerField(default=0)
    of_age_primary_female = models.PositiveIntegerField(default=0)
    of_age_primary_male = models.PositiveIntegerField(default=0)
    at_lower_secondary = models.PositiveIntegerField(default=0)
    at_lower_secondary_female = models.PositiveIntegerField(default=0)
    at_lower_secondary_male = models.PositiveIntegerField(default=0)
    of_age_lower_secondary = models.PositiveIntegerField(default=0)
    of_age_lower_secondary_female = models.PositiveIntegerField(default=0)
    of_age_lower_secondary_male = models.PositiveIntegerField(default=0)
    at_upper_secondary = models.PositiveIntegerField(default=0)
    at_upper_secondary_female = models.PositiveIntegerField(default=0)
    at_upper_secondary_male = models.PositiveIntegerField(default=0)
    of_age_upper_secondary = models.PositiveIntegerField(default=0)
    of_age_upper_secondary_female = models.PositiveIntegerField(default=0)
    of_age_upper_secondary_male = models.PositiveIntegerField(default=0)
    level_ages = models.CharField(max_length=200, blank=True, default="")
    counted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "year aggregates"
        constraints = [models.UniqueConstraint(fields=["school", "year"], name="one_aggregate_per_school_year")]
        indexes = [
            # A year's rows, and of them those not closed (named in every output).
            models.Index(fields=["year", "closed"], name="aggregates_year_idx"),
            # The year after a year (the transition rate's t+1).
            models.Index(fields=["first_day"], name="aggregates_first_day_idx"),
            # The current years: the platform's attendance and "no register today".
            models.Index(fields=["is_current", "last_register_day"], name="aggregates_current_idx"),
        ]

    def __str__(self):
        return f"{self.school_id} {self.year}"


class YearDetail(models.Model):
    """One school's counts for one year by grade, sex and age (School/indicators/): YearAggregates' wide half.

    `closed` and `teachers` are repeated from YearAggregates so that the
    tables by grade read this table alone (no join: a $lookup on MongoDB).
    """

    school = models.ForeignKey("School.School", on_delete=models.CASCADE, related_name="year_details")
    year = models.CharField(max_length=20)
    closed = models.BooleanField(default=False)
    teachers = models.PositiveIntegerField(default=0)
    # [[grade, level, isced, final], ...] lowest first: the school's ladder as its levels say.
    ladder = models.JSONField(default=list, blank=True)
    # {grade: {"enrolled"|"repeaters"|"new"|outcome: {sex key: n}}}: what the rates and the GPI read.
    flows = models.JSONField(default=dict, blank=True)
    # {grade: {sex key: {age: n}}}: enrolment by age on the year's first day ("" an unknown date of birth).
    ages = models.JSONField(default=dict, blank=True)
    # [{"term", "first", "last", "present", "possible", "students", "persistent"}] from the daily register.
    terms = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name_plural = "year details"
        constraints = [models.UniqueConstraint(fields=["school", "year"], name="one_detail_per_school_year")]
        indexes = [models.Index(fields=["year"], name="details_year_idx")]

    def __str__(self):
        return f"{self.school_id} {self.year}"


class PopulationByAge(models.Model):
    """Census population of one age in one year, loaded by the operator (`schools population load`): GER and NER read it."""

    year = models.CharField(max_length=20)
    age = models.PositiveSmallIntegerField()
    female = models.PositiveBigIntegerField(default=0)
    male = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name_plural = "population by age"
        constraints = [models.UniqueConstraint(fields=["year", "age"], name="one_population_per_year_age")]

    def __str__(self):
        return f"{self.year} {self.age}"


class IndicatorSnapshot(models.Model):
    """The dashboard's national flow rates, parity and ages by grade (School/indicators/dashboard.py), as computed at
    `computed_at`: only the latest row is kept.

    Those figures read every school's YearDetail (seconds at 100,000
    schools), too slow for a worker's first request; the nightly
    `schools refresh-figures` (and `--all` by hand) recomputes them, and the
    dashboard computes them itself only where there is no row yet. Counts
    and ratios of national sums only.
    """

    computed_at = models.DateTimeField(db_index=True)
    year = models.CharField(max_length=20, blank=True)
    flow_year = models.CharField(max_length=20, blank=True)
    not_closed = models.PositiveIntegerField(default=0)
    # [[grade, [numerator, denominator, scale], ...]]: the Ratios of School/indicators/rates.py.
    rates = models.JSONField(default=list, blank=True)
    gpi = models.JSONField(default=list, blank=True)
    # [[grade, [n per age band], n with no date of birth]]
    ages = models.JSONField(default=list, blank=True)

    def __str__(self):
        return f"indicators as of {self.computed_at:%Y-%m-%d %H:%M}"
