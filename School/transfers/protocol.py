"""Send, accept, decline and cancel transfers: exactly once across two databases.

Two schools' databases (maybe on two MongoDB clusters, or two SQLite data
directories) cannot share a transaction. A transfer therefore has an id (its
`key`), a state that survives a crash (the envelope in `default`, and a row at
each school), and steps that can be repeated: after a crash, accepting again
(or rerunning the command) starts from the first step and skips what is done.

    send     1. sender: OutgoingTransfer rows (pending)         checkpoint send:recorded
             2. default: the envelopes (pending)                 checkpoint send:announced
    accept   1. default: envelopes pending -> accepting          checkpoint accept:claimed
             2. sender: student marked transferred, row accepting  accept:prepared
             3. receiver: the copy + IncomingTransfer (unique key), one transaction
                                                                  checkpoint accept:copied
             4. receiver: the record's other parts (parts.py)    checkpoint accept:carried
             5. sender: row accepted                             checkpoint accept:finalized
             6. default: envelope accepted

A student is never active at both schools: the sender marks it out (2)
before the receiver's copy exists (3), and the copy is written once, keyed by
the transfer. Between 2 and 3 the record is held at the sender only, marked
transferred and shown as "being transferred"; accepting again (or any rerun
of the command, which finishes interrupted transfers first) completes it.
Nothing of the student is written to `default`.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from School.availability import unavailable_reason
from School.connections import ensure_alias
from School.context import UnknownSchool, resolve_school, tenant_context
from School.models import SEARCH_KEYS, Student
from School.operations.provisioning import SchoolError
from School.security import audit
from School.security.bounds import search_text
from School.transactions import atomic
from School.transfers import checkpoints
from School.transfers.models import OPEN_STATES, IncomingTransfer, OutgoingTransfer, State, Transfer
from School.transfers.parts import RECORD_PARTS, Move
from School.validation import plain_text, validate_registration_no

logger = logging.getLogger(__name__)

SEND, CANCEL, ACCEPT, DECLINE = "transfer_send", "transfer_cancel", "transfer_accept", "transfer_decline"
# Every column of the record except its id, its times and the derived search keys.
COPIED_FIELDS = [
    field.attname for field in Student._meta.concrete_fields
    if not field.primary_key and field.name not in ("created_at", "updated_at", *SEARCH_KEYS.values())
]


class TransferError(SchoolError):
    """A refusal the user can act on: one line (exit 2 on the command line, a message on the page)."""


class TransferNotFound(TransferError):
    """No such transfer for this school (forged ids and other schools' transfers alike): a 404."""


@dataclass(frozen=True)
class Actor:
    """Who takes a step: a user of `school` (the web), or the operator (the command line)."""

    username: str
    school: str
    request: object = None

    def audit_request(self, at_school):
        """What audit.record needs; a step taken at the other school says whose staff took it."""
        label = self.username if at_school == self.school else f"{self.username} ({self.school})"
        user = SimpleNamespace(is_authenticated=bool(label), get_username=lambda: label)
        meta = self.request.META if self.request is not None and at_school == self.school else {}
        return SimpleNamespace(user=user, META=meta)


# Every query of a transfer starts from one of these four: the registry's
# envelopes, or one school's rows (tests/mongodb_probe.py compiles them for
# two schools on two clusters).
def envelopes():
    return Transfer.objects.using(DEFAULT_DB_ALIAS)


def outgoing(school):
    return OutgoingTransfer.objects.using(school.alias)


def arrivals(school):
    return IncomingTransfer.objects.using(school.alias)


def students_at(school):
    return Student.objects.using(school.alias)


def school_named(name):
    try:
        school = resolve_school(name)
    except UnknownSchool as error:
        raise TransferError(str(error)) from None
    ensure_alias(school)
    return school


def find_school(text):
    """A school by its name or, failing that, its display name (any case); TransferError if none."""
    from School.models import School

    # No longer than a display name can be: a long one would be a LIKE pattern too complex for SQLite.
    text = search_text(text, School._meta.get_field("display_name").max_length)
    names = School.objects.using(DEFAULT_DB_ALIAS).filter(name=text.lower()).values_list("name", flat=True)[:1]
    if not names:
        names = School.objects.using(DEFAULT_DB_ALIAS).filter(display_name__iexact=text).values_list("name", flat=True)[:2]
    if len(names) != 1:
        raise TransferError(_("No school is called “%(name)s”.") % {"name": text})
    return school_named(names[0])


def check_usable(school):
    """TransferError with a clear reason when `school` is suspended or its database cannot be reached."""
    if school.suspended:
        raise TransferError(_("%(school)s is suspended: it cannot take part in a transfer now.") % {"school": school.name})
    try:
        students_at(school).exists()
    except DatabaseError as error:
        reason = unavailable_reason(error)
        if reason is None:
            raise
        raise TransferError(_("%(school)s cannot be reached: %(reason)s") % {"school": school.name, "reason": reason}) from None


def record_audit(actor, school, action, keys, detail, rows):
    keys = list(keys)
    target = f"{keys[0]} {detail}" if len(keys) == 1 else f"{len(keys)} transfers {detail}"
    with tenant_context(school):  # the log record names the school
        audit.record(actor.audit_request(school.name), action, target=target, rows=rows, using=school.alias)


# --- send ---------------------------------------------------------------------------------------


def _plain(text):
    """A note or reason in its stored form (updates bypass the field's normalising); TransferError if it cannot be."""
    try:
        return plain_text(text)
    except ValidationError as error:
        raise TransferError(error.messages[0]) from None


def send(source, target, students, actor, note="", resume=False):
    """Send `students` (rows of `source`) to `target`; returns their OutgoingTransfer rows, all pending.

    Checks everything before writing anything. A student whose transfer to
    `target` was recorded but never announced (a crash between the steps) is
    announced now; with `resume`, one already pending to `target` is returned
    as it is (the command line's --accept finishes it), otherwise it is refused.
    """
    if source.name == target.name:
        raise TransferError(_("A student cannot be transferred to the school it is at (%(school)s).") % {"school": source.name})
    note = _plain(note)
    check_usable(target)
    for student in students:
        if student.status == Student.Status.TRANSFERRED:
            raise TransferError(_("Student %(number)s has left %(school)s already.") % {"number": student.registration_no, "school": source.name})
    open_rows = list(outgoing(source).filter(
        student_id__in=[student.pk for student in students], state__in=OPEN_STATES))
    states = dict(envelopes().filter(key__in=[row.key for row in open_rows]).values_list("key", "state"))
    numbers = {student.pk: student.registration_no for student in students}
    kept, unannounced, stale = {}, [], []
    for row in open_rows:
        state = states.get(row.key)
        if state is None:  # recorded at the sender, crashed before the envelope
            (unannounced if row.to_school == target.name else stale).append(row)
            if row.to_school == target.name:
                kept[row.student_id] = row
        elif state in OPEN_STATES:
            if not (resume and row.to_school == target.name):
                raise TransferError(_("Student %(number)s already has a transfer pending to %(school)s.") % {
                    "number": numbers[row.student_id], "school": row.to_school})
            kept[row.student_id] = row
        else:  # answered, but this school's copy of the state missed it
            row.state = state
            stale.append(row)
    now = timezone.now()
    new_rows = [
        OutgoingTransfer(
            key=Transfer._meta.get_field("key").default(), student_id=student.pk, to_school=target.name,
            to_display_name=target.display_name, note=note, sent_by=actor.username, sent_at=now,
        )
        for student in students if student.pk not in kept
    ]
    announce = new_rows + unannounced
    numbers_sent = ", ".join(numbers[row.student_id] for row in announce)
    # Each school's audit event goes in the transaction of that school's own
    # write where there is one: fewer commits, and never a step without its event.
    with atomic(source.alias):
        for row in stale:
            outgoing(source).filter(pk=row.pk).update(
                state=row.state if row.state not in OPEN_STATES else State.CANCELLED)
        outgoing(source).bulk_create(new_rows)
        if announce:
            record_audit(actor, source, SEND, [row.key for row in announce], f"to {target.name}: {numbers_sent}", len(announce))
    checkpoints.reached("send:recorded")
    envelopes().bulk_create(
        Transfer(key=row.key, source=source.name, target=target.name, created_at=row.sent_at) for row in announce
    )
    checkpoints.reached("send:announced")
    if announce:
        record_audit(actor, target, SEND, [row.key for row in announce], f"from {source.name}", len(announce))
        logger.info("sent %d transfers to %s", len(announce), target.name, extra={"school": source.name})
    return [*kept.values(), *new_rows]


# --- accept ---------------------------------------------------------------------------------------


def addressed_to(school, keys):
    """The envelopes of `keys` addressed to `school`: TransferNotFound if any is not (forged, or another school's)."""
    found = {envelope.key: envelope for envelope in envelopes().filter(key__in=list(keys), target=school.name)}
    if len(found) != len(set(keys)):
        raise TransferNotFound(_("No such transfer to %(school)s.") % {"school": school.name})
    return found


def accept(target, keys, actor, numbers=None):
    """Accept the transfers `keys` at `target`; `numbers`: {key: registration number there} where not the same.

    Returns the keys accepted. Accepting a transfer whose acceptance was
    interrupted finishes it; one accepted, declined or cancelled is refused.
    """
    found = addressed_to(target, keys)
    for envelope in found.values():
        if envelope.state not in OPEN_STATES:
            raise TransferError(_("Transfer %(key)s was %(state)s already.") % {"key": envelope.key, "state": envelope.get_state_display().lower()})
    check_usable(target)
    by_source = defaultdict(list)
    for envelope in found.values():
        by_source[envelope.source].append(envelope.key)
    accepted = []
    for source_name, source_keys in by_source.items():
        accepted += _accept_from(school_named(source_name), target, source_keys, actor, numbers or {})
    return accepted


def _accept_from(source, target, keys, actor, numbers):
    check_usable(source)
    rows = {row.key: row for row in outgoing(source).filter(key__in=keys)}
    if len(rows) != len(keys):
        raise TransferError(_("%(school)s has no record of a transfer it announced; ask its staff.") % {"school": source.name})
    originals = students_at(source).in_bulk([row.student_id for row in rows.values()])
    copied = set(arrivals(target).filter(key__in=keys).values_list("key", flat=True))
    chosen = _numbers_there(target, rows, originals, copied, numbers)

    # 1. Claim: from here on, cancelling and declining are refused.
    if envelopes().filter(key__in=keys, state__in=OPEN_STATES).update(state=State.ACCEPTING) != len(keys):
        keys = list(envelopes().filter(key__in=keys, state=State.ACCEPTING).values_list("key", flat=True))
    checkpoints.reached("accept:claimed")

    # 2. The sender marks the students out: never active at both schools.
    # Grouped updates, not bulk_update: its CASE per row cost half of --all.
    preparing = [rows[key] for key in keys if key not in copied]
    by_status, renumbered = defaultdict(list), []
    for row in preparing:
        if row.state == State.PENDING:
            row.prior_status = originals[row.student_id].status
            by_status[row.prior_status].append(row.key)
        number = chosen[row.key] if chosen[row.key] != originals[row.student_id].registration_no else ""
        if number != row.registration_no_there:
            row.registration_no_there = number
            renumbered.append(row)
        row.state = State.ACCEPTING
    if preparing:
        with atomic(source.alias):
            for status, status_keys in by_status.items():
                outgoing(source).filter(key__in=status_keys).update(prior_status=status, state=State.ACCEPTING)
            for row in renumbered:
                outgoing(source).filter(pk=row.pk).update(registration_no_there=row.registration_no_there)
            students_at(source).filter(pk__in=[row.student_id for row in preparing]).update(
                status=Student.Status.TRANSFERRED)
    checkpoints.reached("accept:prepared")

    # 3. The receiver's copy, once: the marker's unique key (and the receiver's
    # audit event) go in the same transaction.
    now = timezone.now()
    copies = [_copy_of(originals[row.student_id], row, chosen[row.key]) for row in preparing]
    try:
        with atomic(target.alias):
            students_at(target).bulk_create(copies)
            arrivals(target).bulk_create(
                IncomingTransfer(
                    key=row.key, student_id=copy.pk, from_school=source.name, from_display_name=source.display_name,
                    registration_no_there=originals[row.student_id].registration_no, accepted_by=actor.username, accepted_at=now,
                )
                for row, copy in zip(preparing, copies)
            )
            if preparing:
                numbers_here = ", ".join(copy.registration_no for copy in copies)
                record_audit(actor, target, ACCEPT, [row.key for row in preparing], f"from {source.name}: {numbers_here}", len(preparing))
    except IntegrityError:
        if arrivals(target).filter(key__in=[row.key for row in preparing]).exists():
            # Another acceptance of the same transfers (a second click, a
            # second operator) copied them first: theirs finishes the job.
            raise TransferError(_("These transfers are being accepted by someone else; reload the page.")) from None
        # Someone took a number at the receiver since it was checked: put everything back as it was.
        _undo_prepare(source, preparing)
        raise TransferError(_("A registration number was taken at %(school)s meanwhile; nothing was transferred, try again.") % {
            "school": target.name}) from None
    checkpoints.reached("accept:copied")

    # 4. The record's other parts.
    copy_of = {row.key: copy for row, copy in zip(preparing, copies)}
    if len(copy_of) < len(keys):  # some were copied before an interruption: read those
        markers = {marker.key: marker for marker in arrivals(target).filter(key__in=[key for key in keys if key not in copy_of])}
        earlier = students_at(target).in_bulk([marker.student_id for marker in markers.values()])
        copy_of.update({key: earlier[marker.student_id] for key, marker in markers.items()})
    moves = [Move(key, source, target, originals[rows[key].student_id], copy_of[key]) for key in keys]
    for part in RECORD_PARTS:
        part.copy(moves)
    checkpoints.reached("accept:carried")

    # 5. The sender's row says "accepted"; 6. so does the envelope.
    with atomic(source.alias):
        finalized = outgoing(source).filter(key__in=keys).exclude(state=State.ACCEPTED).update(
            state=State.ACCEPTED, answered_at=now)
        for part in RECORD_PARTS:
            part.remove(moves)
        if finalized:
            numbers_there = ", ".join(move.original.registration_no for move in moves)
            record_audit(actor, source, ACCEPT, keys, f"to {target.name}: {numbers_there}", len(keys))
    checkpoints.reached("accept:finalized")
    envelopes().filter(key__in=keys, state=State.ACCEPTING).update(state=State.ACCEPTED, answered_at=now)
    logger.info("accepted %d transfers from %s", len(keys), source.name, extra={"school": target.name})
    return keys


def _numbers_there(target, rows, originals, copied, numbers):
    """{key: registration number at the receiver} for the transfers still to copy; TransferError if one is unusable."""
    chosen = {}
    for key, row in rows.items():
        if key in copied:
            continue
        number = (numbers.get(key) or row.registration_no_there or originals[row.student_id].registration_no).strip()
        try:
            validate_registration_no(number)
        except ValidationError:
            raise TransferError(_("“%(number)s” is not a valid registration number.") % {"number": number}) from None
        chosen[key] = number
    seen = set()
    for number in chosen.values():
        if number in seen:
            raise TransferError(_("Registration number %(number)s is given to two students.") % {"number": number})
        seen.add(number)
    taken = taken_numbers(target, list(chosen.values()))
    if taken:
        raise TransferError(_("Registration number %(number)s is taken at %(school)s: give the student another one.") % {
            "number": sorted(taken)[0], "school": target.name})
    return chosen


def taken_numbers(school, numbers, chunk=500):
    taken = set()
    for start in range(0, len(numbers), chunk):
        taken.update(students_at(school).filter(registration_no__in=numbers[start:start + chunk])
                     .values_list("registration_no", flat=True))
    return taken


def _copy_of(original, row, number):
    copy = Student(**{name: getattr(original, name) for name in COPIED_FIELDS})
    copy.registration_no = number
    copy.status = row.prior_status or Student.Status.ACTIVE
    return copy


def _undo_prepare(source, rows):
    by_status = defaultdict(list)
    for row in rows:
        by_status[row.prior_status or Student.Status.ACTIVE].append(row.student_id)
    with atomic(source.alias):
        for status, ids in by_status.items():
            students_at(source).filter(pk__in=ids).update(status=status)
        outgoing(source).filter(key__in=[row.key for row in rows]).update(state=State.PENDING)
    envelopes().filter(key__in=[row.key for row in rows], state=State.ACCEPTING).update(state=State.PENDING)


def finish_interrupted(source=None, target=None):
    """Finish every acceptance a crash interrupted (between `source` and `target` when given); returns their keys."""
    interrupted = envelopes().filter(state=State.ACCEPTING)
    if source is not None:
        interrupted = interrupted.filter(source=source.name)
    if target is not None:
        interrupted = interrupted.filter(target=target.name)
    by_target = defaultdict(list)
    for key, target_name in interrupted.values_list("key", "target"):
        by_target[target_name].append(key)
    finished = []
    for target_name, keys in by_target.items():
        finished += accept(school_named(target_name), keys, Actor("recovery", target_name))
    return finished


# --- answers without a move: decline, cancel --------------------------------------------------------


def decline(target, key, actor, reason):
    """The receiver declines; the reason is kept at the sender (it may name the child), never in `default`."""
    reason = _plain(reason or "")
    if not reason:
        raise TransferError(_("Say why the transfer is declined."))
    envelope = addressed_to(target, [key])[key]
    _check_pending(envelope)
    source = school_named(envelope.source)
    check_usable(source)
    rows = outgoing(source).filter(key=key)
    rows.update(decline_reason=reason)
    if not envelopes().filter(key=key, state=State.PENDING).update(state=State.DECLINED, answered_at=timezone.now()):
        rows.update(decline_reason="")
        _check_pending(envelopes().get(key=key))
    checkpoints.reached("decline:answered")
    rows.update(state=State.DECLINED, answered_at=timezone.now())
    record_audit(actor, target, DECLINE, [key], f"from {source.name}", 1)
    record_audit(actor, source, DECLINE, [key], f"by {target.name}", 1)


def cancel(source, key, actor):
    """The sender withdraws a transfer nobody has answered."""
    envelope = envelopes().filter(key=key, source=source.name).first()
    if envelope is None:
        raise TransferNotFound(_("No such transfer from %(school)s.") % {"school": source.name})
    _check_pending(envelope)
    if not envelopes().filter(key=key, state=State.PENDING).update(state=State.CANCELLED, answered_at=timezone.now()):
        _check_pending(envelopes().get(key=key))
    outgoing(source).filter(key=key).update(state=State.CANCELLED, answered_at=timezone.now())
    record_audit(actor, source, CANCEL, [key], f"to {envelope.target}", 1)
    try:
        record_audit(actor, school_named(envelope.target), CANCEL, [key], f"by {source.name}", 1)
    except (TransferError, DatabaseError):
        logger.warning("could not record the cancellation of %s at %s", key, envelope.target, extra={"school": source.name})


def _check_pending(envelope):
    if envelope.state != State.PENDING:
        raise TransferError(_("Transfer %(key)s was %(state)s already.") % {"key": envelope.key, "state": envelope.get_state_display().lower()})
