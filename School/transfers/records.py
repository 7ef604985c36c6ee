"""What the pages show of transfers: each school sees its own rows and the envelopes that name it."""

import logging
from dataclasses import dataclass
from types import SimpleNamespace

from django.db import DatabaseError
from django.utils.translation import gettext_lazy, pgettext_lazy

from School.models import Student
from School.transfers.models import OPEN_STATES, IncomingTransfer, OutgoingTransfer, State, Transfer
from School.transfers.protocol import TransferError, envelopes, school_named

logger = logging.getLogger(__name__)
LISTED = 200  # transfers a page lists per section, newest first

# A carried history line keeps its action in English (School/transfers/parts.py):
# it travels between schools of different languages; each page shows it in its own.
HISTORY_ACTIONS = {
    "added": pgettext_lazy("record history", "added"),
    "changed": pgettext_lazy("record history", "changed"),
    "deleted": pgettext_lazy("record history", "deleted"),
    "transferred in": pgettext_lazy("record history", "transferred in"),
}


# The transfer protocol owns this status: set anywhere else, it would claim a
# transfer that never happened (and hide the student from the table).
STATUS_SET_BY_TRANSFERS = gettext_lazy("the status “transferred” is set by a transfer to another school only")


def enters_transferred(old_status, new_status):
    """Would this change give a record the status only a transfer gives (old_status None: a new record)?"""
    return new_status == Student.Status.TRANSFERRED and old_status != Student.Status.TRANSFERRED


def is_transferred_out(student):
    """Whether this school's record was sent to another school (read-only from then on)."""
    return student.status == Student.Status.TRANSFERRED and OutgoingTransfer.objects.using(student._state.db).filter(
        student_id=student.pk, state__in=(State.ACCEPTING, State.ACCEPTED)).exists()


def transferred_out_ids(pks, using=None):
    """Which of these students (ids of one school) were sent to another school: their records are read-only."""
    rows = OutgoingTransfer.objects.using(using) if using else OutgoingTransfer.objects
    return set(rows.filter(student_id__in=list(pks), state__in=(State.ACCEPTING, State.ACCEPTED)).values_list("student_id", flat=True))


def is_sent(student):
    """Whether the record is in a transfer not declined or cancelled: it may not be deleted."""
    return OutgoingTransfer.objects.using(student._state.db).filter(
        student_id=student.pk, state__in=(*OPEN_STATES, State.ACCEPTED)).exists()


def record_transfers(student):
    """For the student's page: where the record went (or is going) and where it came from."""
    db = student._state.db
    outgoing = OutgoingTransfer.objects.using(db).filter(student_id=student.pk).order_by("-sent_at", "-pk").first()
    if outgoing is not None and outgoing.state in OPEN_STATES:
        # The envelope decides: this school's copy of the state may lag behind an answer.
        outgoing.state = envelopes().filter(key=outgoing.key).values_list("state", flat=True).first() or outgoing.state
    incoming = IncomingTransfer.objects.using(db).filter(student_id=student.pk).order_by("-accepted_at").first()
    return {
        "outgoing": outgoing,
        "incoming": incoming,
        "transferred_out": outgoing is not None and outgoing.state in (State.ACCEPTING, State.ACCEPTED)
        and student.status == Student.Status.TRANSFERRED,
        "history": [labelled(line) for line in student.carried_history.using(db).all()[:500]],
    }


def labelled(line):
    line.action_label = HISTORY_ACTIONS.get(line.action, line.action)
    return line


@dataclass
class Listed:
    envelope: Transfer
    row: OutgoingTransfer = None
    student: Student = None


def outgoing_of(school):
    """This school's transfers (newest first), with its own rows and students."""
    listed = [Listed(envelope) for envelope in envelopes().filter(source=school.name)[:LISTED]]
    rows = {row.key: row for row in OutgoingTransfer.objects.using(school.alias).filter(key__in=[item.envelope.key for item in listed])}
    students = Student.objects.using(school.alias).in_bulk([row.student_id for row in rows.values()])
    for item in listed:
        item.row = rows.get(item.envelope.key)
        item.student = students.get(item.row.student_id) if item.row else None
    return listed


def incoming_to(school):
    """Transfers waiting for this school's answer, with what the sender sends of each student to decide."""
    listed = [Listed(envelope) for envelope in envelopes().filter(target=school.name, state__in=OPEN_STATES)[:LISTED]]
    by_source = {}
    for item in listed:
        by_source.setdefault(item.envelope.source, []).append(item)
    for source_name, items in by_source.items():
        try:
            source = school_named(source_name)
            rows = {row.key: row for row in OutgoingTransfer.objects.using(source.alias).filter(key__in=[item.envelope.key for item in items])}
            students = Student.objects.using(source.alias).only(
                "first_name", "second_name", "registration_no", "grade", "date_of_birth").in_bulk([row.student_id for row in rows.values()])
        except (TransferError, DatabaseError):
            # A sender removed or unreachable: its transfers are listed without the student; accepting says why it cannot.
            logger.warning("cannot read the transfers sent by %s", source_name, extra={"school": school.name})
            source, rows, students = SimpleNamespace(name=source_name, display_name=source_name), {}, {}
        for item in items:
            item.row = rows.get(item.envelope.key)
            item.student = students.get(item.row.student_id) if item.row else None
            item.source = source
    return listed


def arrived_at(school):
    """Records this school received, newest first (two flat queries: a join would be a $lookup on MongoDB)."""
    arrivals = list(IncomingTransfer.objects.using(school.alias)[:LISTED])
    students = Student.objects.using(school.alias).only("first_name", "second_name").in_bulk([a.student_id for a in arrivals])
    for arrival in arrivals:
        arrival.arrived = students.get(arrival.student_id)
    return arrivals
