"""Promotion day: close the current year and open the next, all or nothing, and undo it.

On SQLite the whole promotion is one transaction. On MongoDB, which has no
transaction here, it is a sequence of steps that can each be repeated: the
Promotion row (unique per year left and per year entered) records the
choices and the state, every enrolment it opens or closes points at it, and
a rerun of the same command after a crash finishes the steps left without
promoting anyone twice (an enrolment is unique per student and year). A
lease on the row keeps a second process off while the first is alive.

Which students: every active student, with the grade of their enrolment in
the current year. Before a promotion starts, those enrolments are brought in
line with the student rows (Student.grade is what registrars edit all year):
a student added since gets one, a changed grade is followed.
"""

import datetime
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from django.db import IntegrityError, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from School.compiled import all_of, one_by, rows_or_orm, update_by_keys
from School.models import Student
from School.school_year.calendar import current_year
from School.school_year.ladder import loop_in
from School.school_year.models import Enrolment, Grade, Promotion, SchoolClass, SchoolYear
from School.school_year.national import platform_year, year_for_promotion
from School.security import audit
from School.transfers.models import OutgoingTransfer, State

logger = logging.getLogger(__name__)

LEASE = datetime.timedelta(seconds=30)
BATCH = 500
Outcome = Enrolment.Outcome
ACTIVE = Student.Status.ACTIVE
# What a closing outcome makes of the student row's status.
STATUS_AFTER = {Outcome.GRADUATED: Student.Status.GRADUATED, Outcome.WITHDRAWN: Student.Status.WITHDRAWN}
LABELS = {Outcome.PROMOTED: "promoted", Outcome.GRADUATED: "graduating", Outcome.REPEATED: "repeating",
          Outcome.WITHDRAWN: "leaving"}


class PromotionError(Exception):
    """A promotion or undo refused before it wrote anything; the message says why in one line."""


@dataclass
class Decision:
    enrolment: int | object | None  # the current year's enrolment (None: to be made first); ids may be ObjectIds
    student: object
    registration_no: str
    grade: Grade
    school_class: object | None
    outcome: str
    to_grade: Grade | None = None  # promoted: the next grade; repeating: the same


@dataclass
class Plan:
    school: str
    from_year: SchoolYear
    to_year: SchoolYear
    decisions: list = field(default_factory=list)
    resumed: bool = False
    year_made: bool = False  # the year to open was made from the platform calendar
    stale: set = field(default_factory=set)  # current enrolments that differ from their student's row

    @cached_property
    def _tally(self):
        # {(grade pk, outcome): n}, counted once: the Promotion row, the audit event, the log and the preview all ask.
        return Counter((decision.grade.pk, decision.outcome) for decision in self.decisions)

    def counts(self):
        counts = Counter()
        for (_grade, outcome), n in self._tally.items():
            counts[outcome] += n
        return dict(counts)

    def by_grade(self):
        """[(grade, {outcome: n}, promoted-to name)] in ladder order."""
        groups = defaultdict(Counter)
        for (grade, outcome), n in self._tally.items():
            groups[grade][outcome] = n
        grades = {decision.grade.pk: decision.grade for decision in self.decisions}
        next_names = {d.grade.pk: d.to_grade.name for d in self.decisions if d.outcome == Outcome.PROMOTED}
        ordered = sorted(grades.values(), key=lambda grade: grade.position)
        return [(grade, groups[grade.pk], next_names.get(grade.pk, "")) for grade in ordered]

    def summary(self):
        counts = self.counts()
        return ", ".join(f"{counts.get(outcome, 0)} {label}" for outcome, label in LABELS.items())


def _year(using, name, school):
    """The year to open; one the school lacks but the platform calendar holds comes unsaved, to be made when promoting."""
    year = one_by(using, SchoolYear, "name", name) or platform_year(name)
    if year is None:
        raise PromotionError(_(
            "year %(year)s does not exist: create it first with "
            "`school_manage.py %(school)s calendar set %(year)s --first YYYY-MM-DD --last YYYY-MM-DD`"
        ) % {"year": name, "school": school})
    if year.pk is None:
        clash = SchoolYear.objects.using(using).overlapping(year.first_day, year.last_day).first()
        if clash is not None:
            raise PromotionError(_(
                "year %(year)s of the platform calendar (%(first)s..%(last)s) overlaps %(school)s's year "
                "%(other)s: correct it with `school_manage.py %(school)s calendar set %(other)s ...`"
            ) % {"year": name, "first": year.first_day, "last": year.last_day, "school": school, "other": clash.name})
    return year


def _pending_transfers(using, rows, school):
    """Refuses while a student to promote has a transfer waiting for the other school's answer."""
    waiting = {student for student, in rows_or_orm(
        using, "promotion: students with a pending transfer",
        lambda: OutgoingTransfer.objects.using(using).filter(state=State.PENDING.value).values_list("student_id"),
        [State.PENDING.value],
    )}
    numbers = sorted(rows[pk][1] for pk in waiting if pk in rows)
    if numbers:
        raise PromotionError(_(
            "%(count)d students have a transfer waiting for an answer (%(numbers)s): nobody was promoted; have it "
            "accepted or declined, or cancel it (`school_manage.py schools transfers --school %(school)s --state pending`), "
            "then promote"
        ) % {"count": len(numbers), "numbers": ", ".join(numbers[:5]) + (", ..." if len(numbers) > 5 else ""), "school": school})


def _check_ladder(using, school):
    grades = all_of(using, "promotion: the ladder", lambda: Grade.objects.using(using).all(), [])
    if any(not grade.confirmed for grade in grades):
        raise PromotionError(_(
            "the grade ladder was guessed from the records and its order is not confirmed: check it with "
            "`school_manage.py %(school)s grades` and confirm it with `school_manage.py %(school)s grades set GRADE ... --final GRADE`"
        ) % {"school": school})
    names = {grade.pk: grade.name for grade in grades}
    looping = loop_in({grade.name: names.get(grade.next_grade_id) for grade in grades})
    if looping:
        raise PromotionError(_("the grade ladder loops at %(grade)s: set it again with `school_manage.py %(school)s grades set`")
                             % {"grade": looping, "school": school})
    return {grade.pk: grade for grade in grades}


def _synced_enrolments(using, from_year, grades, school):
    """({student pk: (enrolment pk or None, regno, grade, class)} of the active students, from their rows;
    the pks of the enrolments that differ from their student's row, to be brought in line)."""
    by_name = {grade.name: grade for grade in grades.values()}
    classes = {c.name: c for c in all_of(using, "promotion: classes of a year",
                                         lambda: SchoolClass.objects.using(using).filter(year=from_year.pk), [from_year.pk])}
    # The two whole reads of a promotion, by statements compiled once per worker (rows_or_orm), not per school.
    existing = {
        row[0]: row[1:]
        for row in rows_or_orm(
            using, "promotion: enrolments of a year",
            lambda: Enrolment.objects.using(using).filter(year=from_year.pk).values_list(
                "student_id", "pk", "grade_id", "school_class_id", "outcome"),
            [from_year.pk],
        )
    }
    rows, unknown, blank, stale = {}, Counter(), [], set()
    for pk, number, text in rows_or_orm(
        using, "promotion: active students",
        lambda: Student.objects.using(using).filter(status=ACTIVE.value).values_list("pk", "registration_no", "grade"),
        [ACTIVE.value],
    ):
        school_class = classes.get(text)
        grade = grades[school_class.grade_id] if school_class else by_name.get(text)
        if not text:
            blank.append(number)
        elif grade is None:
            unknown[text] += 1
        else:
            enrolment = existing.get(pk)
            rows[pk] = (enrolment[0] if enrolment else None, number, grade, school_class)
            if enrolment and enrolment[1:] != (grade.pk, school_class.pk if school_class else None, Outcome.ENROLLED):
                stale.add(enrolment[0])
    if unknown:
        listed = ", ".join(f"{text!r} ({n})" for text, n in sorted(unknown.items()))
        raise PromotionError(_(
            "%(count)d active students have a grade that is not in the ladder: %(grades)s; "
            "add it with `school_manage.py %(school)s grades set`"
        ) % {"count": sum(unknown.values()), "grades": listed, "school": school})
    if blank:
        raise PromotionError(_("%(count)d active students have no grade (e.g. %(numbers)s): set it, or pass --leave")
                             % {"count": len(blank), "numbers": ", ".join(sorted(blank)[:3])})
    return rows, stale


def _resumed_enrolments(using, promotion, grades):
    """The same students as when `promotion` started, from the enrolments it closed or will close."""
    active = set(Student.objects.using(using).filter(status=ACTIVE).values_list("pk", flat=True))
    numbers = dict(Student.objects.using(using).values_list("pk", "registration_no"))
    rows = Enrolment.objects.using(using).filter(year=promotion.from_year).values_list(
        "pk", "student_id", "grade_id", "outcome", "closed_by_id"
    )
    return {
        student: (pk, numbers[student], grades[grade_id], None)
        for pk, student, grade_id, outcome, closed_by in rows
        if closed_by == promotion.pk or (outcome == Outcome.ENROLLED and student in active)
    }


def _decide(rows, repeat, leave, grades, school):
    numbers = {row[1] for row in rows.values()}
    for option, given in (("--repeat", repeat), ("--leave", leave)):
        strangers = sorted(set(given) - numbers)
        if strangers:
            raise PromotionError(_("%(option)s %(number)s: no active student of the current year has that number")
                                 % {"option": option, "number": strangers[0]})
    both = sorted(set(repeat) & set(leave))
    if both:
        raise PromotionError(_("%(number)s is given to both --repeat and --leave") % {"number": both[0]})
    decisions, stuck = [], set()
    for student, (enrolment, number, grade, school_class) in rows.items():
        to_grade = None
        if number in leave:
            outcome = Outcome.WITHDRAWN
        elif number in repeat:
            outcome, to_grade = Outcome.REPEATED, grade
        elif grade.is_final:
            outcome = Outcome.GRADUATED
        elif grade.next_grade_id is None:
            stuck.add(grade.name)
            continue
        else:
            outcome, to_grade = Outcome.PROMOTED, grades[grade.next_grade_id]
        decisions.append(Decision(enrolment, student, number, grade, school_class, outcome, to_grade))
    if stuck:
        name = sorted(stuck)[0]
        raise PromotionError(_(
            "grade %(grade)s is not final and has no next grade: nobody was promoted; "
            "fix the ladder with `school_manage.py %(school)s grades set ... [--final %(grade)s]`"
        ) % {"grade": name, "school": school})
    return decisions


def plan(using, school, to_name, repeat=(), leave=()):
    """The promotion into `to_name` as it would be done now; writes nothing (but a first default year)."""
    to_year = _year(using, to_name, school)
    # By statements compiled once per worker (one_by): most schools have no such promotion, and the years it
    # names are read only when it exists.
    started = None if to_year.pk is None else one_by(using, Promotion, "to_year", to_year.pk)
    if started is not None and started.state == Promotion.State.UNDOING:
        raise PromotionError(_(
            "the undo of the promotion into %(year)s was interrupted: finish it with "
            "`school_manage.py %(school)s promote --undo %(year)s`"
        ) % {"year": to_name, "school": school})
    if started is not None and started.state == Promotion.State.DONE:
        raise PromotionError(_(
            "%(school)s was already promoted into %(year)s (%(at)s UTC by %(user)s); "
            "undo it with `school_manage.py %(school)s promote --undo %(year)s`"
        ) % {"school": school, "year": to_name, "at": f"{started.finished_at:%Y-%m-%d %H:%M}", "user": started.username or "?"})
    grades = _check_ladder(using, school)
    if started is not None:
        rows = _resumed_enrolments(using, started, grades)
        decisions = _decide(rows, started.repeat, started.leave, grades, school)
        return Plan(school, started.from_year, to_year, decisions, resumed=True)
    from_year = current_year(using)
    if from_year is None:
        raise PromotionError(_("%(school)s has no current year: an interrupted promotion must be finished first") % {"school": school})
    interrupted = one_by(using, Promotion, "from_year", from_year.pk)
    if interrupted is not None:
        raise PromotionError(_(
            "a promotion from %(from_year)s into %(to_year)s was interrupted: finish it with "
            "`school_manage.py %(school)s promote --to %(to_year)s`"
        ) % {"from_year": from_year, "to_year": interrupted.to_year, "school": school})
    if to_year.pk == from_year.pk:
        raise PromotionError(_("%(year)s is already the current year") % {"year": to_name})
    if to_year.first_day <= from_year.last_day:
        raise PromotionError(_("year %(year)s starts on %(first)s, before the current year %(current)s ends")
                             % {"year": to_name, "first": to_year.first_day, "current": from_year})
    if to_year.pk is not None and rows_or_orm(
        using, "promotion: an enrolment of a year",
        lambda: Enrolment.objects.using(using).filter(year=to_year.pk).values_list("pk")[:1], [to_year.pk],
    ):
        raise PromotionError(_("year %(year)s already has enrolments: promotion opens a year that has none") % {"year": to_name})
    rows, stale = _synced_enrolments(using, from_year, grades, school)
    _pending_transfers(using, rows, school)
    return Plan(school, from_year, to_year, _decide(rows, set(repeat), set(leave), grades, school), stale=stale)


def promote(using, school, to_name, repeat=(), leave=(), username="", graduates_to=""):
    """Promote now (or finish an interrupted promotion); returns the Plan carried out."""
    with transaction.atomic(using=using):
        done = plan(using, school, to_name, repeat, leave)
        if done.to_year.pk is None:  # checked: now made from the platform calendar
            done.to_year, done.year_made = year_for_promotion(using, to_name), True
        if not done.resumed:
            _write_current_enrolments(using, done)
        promotion = _claim(using, done, sorted(repeat), sorted(leave), username, graduates_to)
        _open_new_enrolments(using, done, promotion)
        _renew(using, promotion)
        _close_old_enrolments(using, done, promotion)
        _move_students(using, done)
        switch_current(using, done.from_year, done.to_year)
        counts = done.counts()
        audit.record(None, audit.PROMOTION, target=f"{done.from_year} -> {done.to_year}", rows=len(done.decisions),
                     result=done.summary(), username=promotion.username, using=using)
        update_by_keys(using, Promotion, [promotion.pk], {"state": Promotion.State.DONE.value, "counts": counts,
                                                           "finished_at": timezone.now()})
    logger.info("promoted %s -> %s: %s", done.from_year, done.to_year, done.summary())
    return done


def _claim(using, done, repeat, leave, username, graduates_to=""):
    """The Promotion row this process now works on; refuses while another live process holds it."""
    now = timezone.now()
    promotions = Promotion.objects.using(using)
    if done.resumed:
        promotion = promotions.get(to_year=done.to_year)
        if not promotions.filter(pk=promotion.pk, lease_until__lt=now).update(lease_until=now + LEASE):
            raise busy_error(done.school, promotion)
        logger.info("finishing the interrupted promotion into %s with the choices it started with", done.to_year)
        return promotion
    try:
        with transaction.atomic(using=using):
            return promotions.create(
                from_year=done.from_year, to_year=done.to_year, repeat=repeat, leave=leave, username=username,
                started_at=now, lease_until=now + LEASE, graduates_to=graduates_to,
            )
    except IntegrityError:
        other = promotions.filter(from_year=done.from_year).first() or promotions.filter(to_year=done.to_year).first()
        raise busy_error(done.school, other) from None


def busy_error(school, other):
    if other is None:
        return PromotionError(_("another promotion of %(school)s was started at the same time; run the command again "
                                "to see its state") % {"school": school})
    return PromotionError(_(
        "another promotion of %(school)s (%(from_year)s -> %(to_year)s, started %(at)s UTC by %(user)s) is running; "
        "if that process died, rerun after %(until)s UTC"
    ) % {"school": school, "from_year": other.from_year, "to_year": other.to_year, "at": f"{other.started_at:%H:%M:%S}",
         "user": other.username or "?", "until": f"{other.lease_until:%H:%M:%S}"})


def _renew(using, promotion):
    update_by_keys(using, Promotion, [promotion.pk], {"lease_until": timezone.now() + LEASE})


def _write_current_enrolments(using, done):
    """The current year's enrolments as the student rows say (before the promotion row exists: harmless to repeat)."""
    enrolments = Enrolment.objects.using(using)
    new = [d for d in done.decisions if d.enrolment is None]
    try:
        enrolments.bulk_create(
            [Enrolment(student_id=d.student, year_id=done.from_year.pk, grade_id=d.grade.pk,
                       school_class_id=d.school_class.pk if d.school_class else None, first_day=done.from_year.first_day)
             for d in new],
            batch_size=BATCH,
        )
    except IntegrityError:  # another process made them meanwhile: it is promoting
        raise busy_error(done.school, Promotion.objects.using(using).filter(from_year=done.from_year).first()) from None
    if new:
        made = dict(enrolments.filter(year=done.from_year, student__in=[d.student for d in new]).values_list("student_id", "pk"))
        for decision in new:
            decision.enrolment = made[decision.student]
    # Only those that differ: in the usual school the registrars' year changed a few students' grades, if any.
    groups = defaultdict(list)
    for d in done.decisions:
        if d.enrolment in done.stale:
            groups[(d.grade.pk, d.school_class.pk if d.school_class else None)].append(d.enrolment)
    for (grade, school_class), pks in groups.items():
        for batch in batches(pks):
            # Never one a promotion has closed (a racing process may have started).
            enrolments.filter(pk__in=batch, closed_by=None).update(
                grade=grade, school_class=school_class, outcome=Outcome.ENROLLED
            )


def _open_new_enrolments(using, done, promotion):
    staying = [d for d in done.decisions if d.to_grade is not None]
    there = {student for student, in rows_or_orm(
        using, "promotion: students enrolled in a year",
        lambda: Enrolment.objects.using(using).filter(year=done.to_year.pk).values_list("student_id"), [done.to_year.pk],
    )}
    year, first_day, opened_by = done.to_year.pk, done.to_year.first_day, promotion.pk
    _insert_enrolments(using, [
        {"student_id": d.student, "year_id": year, "grade_id": d.to_grade.pk, "first_day": first_day, "opened_by_id": opened_by}
        for d in staying if d.student not in there
    ])


INSERTED = ("student_id", "year_id", "grade_id", "school_class_id", "first_day", "opened_by_id", "outcome", "updated_at")


def _insert_enrolments(using, rows):
    """New enrolments (dicts of the INSERTED columns but the last two): one executemany on SQL databases.

    The ORM's bulk_create compiles every value of every row, which was half of
    a school's promotion in `--all promote`; here the values are Python's own
    (keys, one date, the outcome, one timestamp), adapted once. MongoDB gets
    bulk_create.
    """
    if not rows:
        return
    connection = connections[using]
    if connection.vendor == "mongodb":
        Enrolment.objects.using(using).bulk_create([Enrolment(**row) for row in rows], batch_size=BATCH)
        return
    ops, meta = connection.ops, Enrolment._meta
    now = ops.adapt_datetimefield_value(timezone.now())
    days = {}
    columns = ", ".join(ops.quote_name(meta.get_field(name.removesuffix("_id")).column) for name in INSERTED)
    sql = f"INSERT INTO {ops.quote_name(meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(INSERTED))})"
    values = []
    for row in rows:
        day = row["first_day"]
        if day not in days:
            days[day] = ops.adapt_datefield_value(day)
        values.append((row["student_id"], row["year_id"], row["grade_id"], row.get("school_class_id"), days[day],
                       row.get("opened_by_id"), Outcome.ENROLLED, now))
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


def _close_old_enrolments(using, done, promotion):
    groups = defaultdict(list)
    for d in done.decisions:
        groups[d.outcome].append(d.enrolment)
    for outcome, pks in groups.items():
        update_by_keys(using, Enrolment, pks, {"outcome": outcome, "last_day": done.from_year.last_day,
                                               "closed_by_id": promotion.pk})


def _move_students(using, done):
    """Student rows show the new year: one update per (next grade, status), through Student's queryset, so the
    table's stamp changes (once)."""
    groups = defaultdict(list)
    for d in done.decisions:
        groups[(d.to_grade.name if d.to_grade else None, STATUS_AFTER.get(d.outcome))].append(d.student)
    Student.objects.using(using).update_groups(
        (batch, {name: value for name, value in (("grade", grade), ("status", status)) if value is not None})
        for (grade, status), pks in groups.items()
        for batch in batches(pks)
    )


def switch_current(using, old, new):
    # Old first: the unique constraint allows no two current years; a crash
    # in between leaves none, which the rerun (promotion or undo) sets right.
    # By key (update_by_keys): the ORM compiled each of these one-row updates again for every school.
    update_by_keys(using, SchoolYear, [old.pk], {"is_current": False})
    update_by_keys(using, SchoolYear, [new.pk], {"is_current": True})


def batches(items):
    items = list(items)
    for start in range(0, len(items), BATCH):
        yield items[start:start + BATCH]
