"""Undo a promotion, while nothing else has been written in the year it opened.

What is checked, exactly (else the undo refuses and writes nothing):

* the year is still the current one and no promotion has left it;
* every enrolment of that year is one the promotion opened, and none of
  them has been saved since the promotion finished;
* every student it moved still shows what it set: the new grade and
  `active` for the promoted and repeating, `graduated` or `withdrawn` for
  the others.

Classes, terms and closed days added to the year meanwhile are kept. The
steps follow the promotion's own pattern (one transaction on SQLite,
repeatable steps under a lease on MongoDB: rerun `--undo` after a crash).
"""

import logging
from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from School.models import Student
from School.school_year.models import Enrolment, Grade, Promotion, SchoolClass, SchoolYear
from School.school_year.promotion import (
    LEASE,
    STATUS_AFTER,
    PromotionError,
    batches,
    busy_error,
    switch_current,
)
from School.security import audit

logger = logging.getLogger(__name__)

ACTIVE = Student.Status.ACTIVE


def _promotion_into(using, school, name):
    promotion = Promotion.objects.using(using).filter(to_year__name=name).select_related("from_year", "to_year").first()
    if promotion is None:
        raise PromotionError(_("no promotion of %(school)s into %(year)s to undo") % {"school": school, "year": name})
    if promotion.state == Promotion.State.STARTED:
        raise PromotionError(_(
            "the promotion into %(year)s did not finish: finish it with `school_manage.py %(school)s promote --to %(year)s`, "
            "then undo it"
        ) % {"year": name, "school": school})
    return promotion


def _changed_since(using, school, promotion):
    """The reason the promotion can no longer be undone, or None."""
    year = promotion.to_year
    if not SchoolYear.objects.using(using).filter(pk=year.pk, is_current=True).exists():
        return _("%(year)s is no longer the current year") % {"year": year}
    if Promotion.objects.using(using).filter(from_year=year).exists():
        return _("%(school)s has since been promoted out of %(year)s: undo that first") % {"school": school, "year": year}
    enrolments = Enrolment.objects.using(using).filter(year=year)
    added = enrolments.exclude(opened_by=promotion).count()
    if added:
        return _("%(count)d enrolments were added to %(year)s after the promotion") % {"count": added, "year": year}
    changed = enrolments.filter(updated_at__gt=promotion.finished_at).count()
    if changed:
        return _("%(count)d enrolments in %(year)s were changed after the promotion") % {"count": changed, "year": year}
    expected = _expected_rows(using, promotion)
    moved = Student.objects.using(using).filter(pk__in=list(expected)).values_list("pk", "registration_no", "grade", "status")
    differing = sorted(number for pk, number, grade, status in moved if not _matches(expected[pk], grade, status))
    if differing:
        return _("%(count)d students were changed after the promotion (e.g. %(numbers)s)") % {
            "count": len(differing), "numbers": ", ".join(differing[:3])}
    return None


def _expected_rows(using, promotion):
    """{student pk: (grade text or None, status)} as the promotion left them."""
    names = _names(Grade, using)
    new_grades = {
        student: names[grade]
        for student, grade in Enrolment.objects.using(using).filter(opened_by=promotion).values_list("student_id", "grade_id")
    }
    closed = Enrolment.objects.using(using).filter(closed_by=promotion).values_list("student_id", "outcome")
    return {student: (new_grades.get(student), STATUS_AFTER.get(outcome, ACTIVE)) for student, outcome in closed}


def _names(model, using):
    # Names looked up once rather than joined per enrolment (a $lookup on MongoDB).
    return dict(model.objects.using(using).values_list("pk", "name"))


def _matches(expected, grade, status):
    expected_grade, expected_status = expected
    return status == expected_status and (expected_grade is None or grade == expected_grade)


def check_undo(using, school, name):
    """The promotion into `name`, if it can be undone now; PromotionError saying why not otherwise."""
    promotion = _promotion_into(using, school, name)
    if promotion.state == Promotion.State.DONE:
        reason = _changed_since(using, school, promotion)
        if reason:
            raise PromotionError(_("the promotion into %(year)s cannot be undone: %(reason)s") % {"year": name, "reason": reason})
    return promotion


def undo(using, school, name, username=""):
    """Undo the promotion into year `name`; returns how many students it moved back."""
    with transaction.atomic(using=using):
        promotion = check_undo(using, school, name)
        now = timezone.now()
        promotions = Promotion.objects.using(using).filter(pk=promotion.pk)
        if promotion.state == Promotion.State.DONE:
            claimed = promotions.filter(state=Promotion.State.DONE).update(state=Promotion.State.UNDOING, lease_until=now + LEASE)
        else:  # an undo that was interrupted: finish it
            claimed = promotions.filter(lease_until__lt=now).update(lease_until=now + LEASE)
        if not claimed:
            raise busy_error(school, promotion)
        moved = _restore_students(using, promotion)
        Enrolment.objects.using(using).filter(opened_by=promotion).delete()
        Enrolment.objects.using(using).filter(closed_by=promotion).update(
            outcome=Enrolment.Outcome.ENROLLED, last_day=None, closed_by=None
        )
        switch_current(using, promotion.to_year, promotion.from_year)
        audit.record(None, audit.PROMOTION_UNDONE, target=f"{promotion.from_year} -> {promotion.to_year}", rows=moved,
                     result=f"{moved} students back in {promotion.from_year}", username=username, using=using)
        promotions.delete()
    logger.info("promotion %s -> %s undone: %d students back", promotion.from_year, promotion.to_year, moved)
    return moved


def _restore_students(using, promotion):
    """Student rows as they were: the grade (or class) of the reopened enrolment, active."""
    groups = defaultdict(list)
    grades, classes = _names(Grade, using), _names(SchoolClass, using)
    rows = Enrolment.objects.using(using).filter(closed_by=promotion).values_list("student_id", "grade_id", "school_class_id")
    for student, grade, school_class in rows:
        groups[classes.get(school_class) or grades[grade]].append(student)
    Student.objects.using(using).update_groups(
        (batch, {"grade": grade, "status": ACTIVE}) for grade, pks in groups.items() for batch in batches(pks)
    )
    return sum(len(pks) for pks in groups.values())
