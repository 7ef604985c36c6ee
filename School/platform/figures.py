"""Count a school's students by class and status (and its active students by class and sex), and keep the counts in `default`.

Counting reads the school's own database (one GROUP BY and the
applied migrations) and returns numbers only; storing writes them to the
school's SchoolFigures row. The two halves are apart so that a walk over
every school counts in worker processes and stores in the parent, in
batches (one transaction each): a `kill -9` leaves the finished batches
stored and the rest as they were.
"""

import datetime
import logging
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.utils import timezone

from School import table_reads
from School.availability import unavailable_reason
from School.compiled import update_rows, value_by
from School.connections import forget_alias
from School.context import tenant_context
from School.indicators.aggregate import count_years
from School.indicators.store import store_years, stored_rows
from School.models import School, Student
from School.operations.provisioning import pending_migrations
from School.platform.models import SchoolFigures
from School.school_year.enrolment_rows import enrolment_rows
from School.sqlite_files import read_snapshot

logger = logging.getLogger(__name__)

STATUSES = tuple(Student.Status.values)
# The figures' names for Student.Sex (a JSON key and a column must not be ""), and the SchoolFigures fields.
SEXES = {Student.Sex.FEMALE: "female", Student.Sex.MALE: "male", Student.Sex.NOT_RECORDED: "sex_not_recorded"}
SEX_KEYS = tuple(SEXES.values())


def sex_label(key):
    """A SEX_KEYS key as users read it, in the current language."""
    return str(Student.Sex({name: value for value, name in SEXES.items()}[key]).label)


def status_label(status):
    """The status as users read it, in the current language (the keys stay English in figures and CLI)."""
    return str(Student.Status(status).label)  # pygal writes its labels as JSON: no lazy string
# Called with the school (a SchoolInfo) and `fields` (the Student fields changed since its last count, None: any) at
# each count, in its tenant context: what else in `default` follows its students (the identity digests,
# School/identity/registry.py, registered by its app). A hook may return a write to make with the school's
# figures (picklable, with an `apply()` run inside the transaction that stores them), or None.
COUNT_HOOKS = []
ERROR_LENGTH = SchoolFigures._meta.get_field("unreachable_error").max_length


@dataclass
class Counted:
    """What one count of one school found (or why it could not count)."""

    school: str
    read_at: datetime.datetime
    by_class: dict = field(default_factory=dict)
    # {class: {sex key: count}} of the active students: enrolment by sex, as a ministry's return asks.
    by_sex: dict = field(default_factory=dict)
    pending: int = 0
    error: str = ""
    current_year: str = ""
    by_year: dict = field(default_factory=dict)
    # {year: counts} for the ministry's indicators (School/indicators/); None: not counted.
    years: dict = None
    # What the COUNT_HOOKS left to write with these figures (skipped where another process counted later).
    writes: tuple = ()


def _read_counts(alias):
    """({class: {status: n}}, {class: {sex key: n}} of the active students), from the one read of the students."""
    grouped = Counter((grade, status, sex) for _pk, grade, status, sex, *_rest in table_reads.students(alias))
    by_class, by_sex = {}, {}
    for (grade, status, sex), n in grouped.items():
        statuses = by_class.setdefault(grade or "", {})
        statuses[status] = statuses.get(status, 0) + n
        if status == Student.Status.ACTIVE:
            sexes = by_sex.setdefault(grade or "", {})
            key = SEXES.get(sex, SEXES[Student.Sex.NOT_RECORDED])
            sexes[key] = sexes.get(key, 0) + n
    return by_class, by_sex


def count_school(school, keep_alias=False, fields=None):
    """Counted for `school` (a SchoolInfo), never raising for an unreachable or broken school.

    `fields`: the Student fields changed since the school was last counted, where the caller knows (None: any).
    """
    read_at = timezone.now()
    try:
        # Counts, digests and the indicators' counts read each table of the school once, all of
        # them in one read transaction: the same moment for each, and one lock taken, not one a read.
        with tenant_context(school), read_snapshot(school.alias), table_reads.shared_reads():
            by_class, by_sex = _read_counts(school.alias)
            current, by_year = enrolments_by_year(school.alias)
            pending = len(pending_migrations(school))
            years = count_years(school.alias)
            writes = []
            for hook in COUNT_HOOKS:
                try:
                    writes.append(hook(school, fields))
                except Exception:  # what follows the students must not stop their figures
                    logger.exception("could not follow the students in the registry", extra={"school": school.name})
        return Counted(school.name, read_at, by_class, by_sex, pending, current_year=current, by_year=by_year, years=years,
                       writes=tuple(write for write in writes if write is not None))
    except Exception as error:  # one broken school must not stop the others
        reason = unavailable_reason(error) or str(error) or type(error).__name__
        logger.warning("could not count the students: %s", reason, extra={"school": school.name})
        return Counted(school.name, read_at, error=reason[:ERROR_LENGTH])
    finally:
        if not keep_alias:
            forget_alias(school.name)


def count_schools(schools):
    """[Counted] of a few schools: one task of a fan-out worker (a task per school costs the parent more than the count)."""
    return [count_school(school) for school in schools]


def enrolments_by_year(alias):
    """(current year's name, {year: {grade: enrolments}}): years and grades looked up by key (no join)."""
    school_years = table_reads.years(alias)
    years = {pk: name for pk, name, *_days in school_years}
    current = next((pk for pk, _name, _first, _last, is_current in school_years if is_current), None)
    grades = {pk: name for pk, name, *_rest in table_reads.grades(alias)}
    by_year = {}
    for year, _student, grade, _class, _outcome in enrolment_rows(alias, current):
        per_grade = by_year.setdefault(years.get(year, ""), {})
        name = grades.get(grade, "")
        per_grade[name] = per_grade.get(name, 0) + 1
    return years.get(current, ""), by_year


def totals_of(by_class):
    """{status: count} and the total of a {class: {status: count}} map."""
    per_status = dict.fromkeys(STATUSES, 0)
    for counts in by_class.values():
        for status, n in counts.items():
            per_status[status] = per_status.get(status, 0) + n
    return per_status, sum(per_status.values())


def sex_totals_of(by_sex):
    """{sex key: count} of a {class: {sex key: count}} map."""
    totals = dict.fromkeys(SEX_KEYS, 0)
    for counts in by_sex.values():
        for key, n in counts.items():
            totals[key] = totals.get(key, 0) + n
    return totals


@dataclass
class Stored:
    """The outcome of storing one Counted: drift is (old total, new total) when the counts were wrong."""

    school: str
    status: str  # "counted", "unchanged", "failed", "gone", "newer"
    drift: tuple = ()
    detail: str = ""


def store(results):
    """Write a batch of Counted to `default` in one transaction; returns a Stored per result."""
    results = list(results)
    try:
        return _store(results)
    except IntegrityError:  # another process created one of these rows meanwhile: it is there now
        return _store(results)


def _store(results):
    keys = dict(
        School.objects.using(DEFAULT_DB_ALIAS).filter(name__in=[r.school for r in results]).values_list("name", "pk")
    )
    existing = {
        row.school_id: row for row in SchoolFigures.objects.using(DEFAULT_DB_ALIAS).filter(school_id__in=keys.values())
    }
    outcomes, counted = [], []
    stored_years = stored_rows([keys[r.school] for r in results if r.years is not None and r.school in keys])
    with transaction.atomic(using=DEFAULT_DB_ALIAS):
        for result in results:
            key = keys.get(result.school)
            if key is None:  # removed meanwhile: its figures left with it
                outcomes.append(Stored(result.school, "gone"))
                continue
            row = existing.get(key) or SchoolFigures(school_id=key)
            outcome = _apply(row, result)
            outcomes.append(outcome)
            if row.pk is None:
                row.save(using=DEFAULT_DB_ALIAS)
            elif outcome.status != "newer":  # a row another process counted later stays as it left it
                counted.append(row)
            if outcome.status in ("counted", "unchanged"):
                if result.years is not None:
                    store_years(key, result.years, stored_years)
                for write in result.writes:
                    write.apply()
        update_rows(DEFAULT_DB_ALIAS, counted)
    return outcomes


def _apply(row, result):
    now = timezone.now()
    if result.error:
        row.unreachable_at, row.unreachable_error = now, result.error
        return Stored(result.school, "failed", detail=result.error)
    if row.counted_at and row.counted_at > result.read_at:
        # Another process counted after this read began: its counts are newer.
        return Stored(result.school, "newer")
    per_status, total = totals_of(result.by_class)
    counted_before = row.counted_at is not None
    changed = row.by_class != result.by_class or row.by_sex != result.by_sex
    row.current_year, row.by_year = result.current_year, result.by_year
    drift = (row.total, total) if counted_before and changed else ()
    if changed or not counted_before:
        row.changed_at = now
    row.by_class, row.total = result.by_class, total
    for status in STATUSES:
        setattr(row, status, per_status.get(status, 0))
    row.by_sex = result.by_sex
    for key, n in sex_totals_of(result.by_sex).items():
        setattr(row, key, n)
    window = datetime.timedelta(days=settings.FIGURES_GROWTH_DAYS)
    if row.baseline_at is None or now - row.baseline_at > window:
        row.baseline_total, row.baseline_at = total, now
    row.growth = total - row.baseline_total
    row.counted_at, row.pending_migrations = result.read_at, result.pending
    row.unreachable_at, row.unreachable_error = None, ""
    return Stored(result.school, "counted" if changed or not counted_before else "unchanged", drift)


def recount(name):
    """Count and store one registered school now; returns its Stored, or None if it is not registered."""
    counted = count_registered(name)
    return None if counted is None else store([counted])[0]


def count_registered(name, fields=None):
    """The Counted of one registered school, not stored yet; None if it is not registered (`fields`: see count_school)."""
    from School.utils import school_by_name

    school = school_by_name(name)
    if school is None or value_by(DEFAULT_DB_ALIAS, School, "name", name, "pk") is None:
        return None
    return count_school(school, keep_alias=True, fields=fields)


def record_backup(name, at, size):
    """Note in the registry that school `name` has a complete backup of `size` bytes made at `at`."""
    key = value_by(DEFAULT_DB_ALIAS, School, "name", name, "pk")
    if key is None:
        return
    rows = SchoolFigures.objects.using(DEFAULT_DB_ALIAS).filter(school_id=key)
    if rows.update(last_backup_at=at, last_backup_size=size):
        return
    try:
        with transaction.atomic(using=DEFAULT_DB_ALIAS):
            rows.create(school_id=key, last_backup_at=at, last_backup_size=size)
    except IntegrityError:  # counted meanwhile: the row is there now
        rows.update(last_backup_at=at, last_backup_size=size)
