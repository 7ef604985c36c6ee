"""Graduates sent on: `promote --to YEAR --graduates-to SCHOOL` (the end of primary feeding a secondary).

The promotion records the receiving school; once it is done, the students
it graduated are sent to that school through the transfer protocol
(School/transfers/protocol.py), which the receiving school then accepts or
declines as any transfer. Exactly once: a graduate whose transfer of this
promotion exists is not sent again (a pending one is only announced if a
crash cut the send short), so the same command run again finishes the rest.

Undo withdraws (cancels) the transfers still waiting for an answer; one
already accepted makes the undo refuse (the student has left).
"""

import logging

from School.models import Student
from School.school_year.models import Enrolment, Promotion, SchoolYear
from School.school_year.promotion import PromotionError
from School.transfers import protocol
from School.transfers.models import OutgoingTransfer, State

logger = logging.getLogger(__name__)


def receiving_school(school, name):
    """The school graduates may be sent to; PromotionError (before anything is written) otherwise."""
    try:
        target = protocol.school_named(name)
        protocol.check_usable(target)
    except protocol.TransferError as error:
        raise PromotionError(f"--graduates-to {name}: {error}") from None
    if target.name == school:
        raise PromotionError(f"--graduates-to {name}: that is this school")
    return target


def done_promotion(using, to_name):
    # The year's key first, not a filter across the relation: a join on MongoDB.
    year = SchoolYear.objects.using(using).filter(name=to_name).values_list("pk", flat=True).first()
    if year is None:
        return None
    return Promotion.objects.using(using).filter(to_year_id=year, state=Promotion.State.DONE).select_related("from_year").first()


def _this_promotions_transfers(using, promotion):
    graduates = list(Enrolment.objects.using(using).filter(closed_by=promotion, outcome=Enrolment.Outcome.GRADUATED)
                     .values_list("student_id", flat=True))
    rows = OutgoingTransfer.objects.using(using).filter(
        student_id__in=graduates, to_school=promotion.graduates_to, sent_at__gte=promotion.started_at)
    return graduates, rows


def send_graduates(using, school, to_name, username):
    """Send the graduates of the promotion into `to_name` not sent yet; returns (sent now, sent before)."""
    promotion = done_promotion(using, to_name)
    if promotion is None or not promotion.graduates_to:
        return 0, 0
    source = protocol.school_named(school)
    target = receiving_school(school, promotion.graduates_to)
    graduates, rows = _this_promotions_transfers(using, promotion)
    states = dict(rows.values_list("student_id", "state"))
    students = list(Student.objects.using(using).filter(
        pk__in=[pk for pk in graduates if states.get(pk, State.PENDING) == State.PENDING]))
    before = len(states)
    if not students:
        return 0, before
    note = f"graduated from {source.display_name} in {promotion.from_year}"
    try:
        sent = protocol.send(source, target, students, protocol.Actor(username, school), note, resume=True)
    except protocol.TransferError as error:
        raise PromotionError(f"the graduates could not be sent to {target.name}: {error}") from None
    logger.info("%d graduates sent to %s", len(sent), target.name)
    return len([student for student in students if student.pk not in states]), before


def withdraw_graduates(using, school, to_name, username):
    """Cancel this promotion's graduate transfers nobody has answered (before its undo); returns how many."""
    promotion = done_promotion(using, to_name)
    if promotion is None or not promotion.graduates_to:
        return 0
    _, rows = _this_promotions_transfers(using, promotion)
    keys = list(rows.filter(state=State.PENDING).values_list("key", flat=True))
    waiting = set(protocol.envelopes().filter(key__in=keys, state=State.PENDING).values_list("key", flat=True))
    source = protocol.school_named(school)
    for key in keys:
        if key in waiting:
            protocol.cancel(source, key, protocol.Actor(username, school))
    return len(waiting)
