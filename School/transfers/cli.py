"""`schools transfer` and `schools transfers`: students moving between schools, for the operator.

    schools transfer SRC REGNO [REGNO ...] --to DST [--accept] [--note TEXT] [--number REGNO=NEW ...]
    schools transfer SRC --all --to DST [--accept]
    schools transfers [--school NAME] [--state STATE] [--format table|json]

Same rules as the pages (School/transfers/protocol.py). Before anything else
a `transfer` finishes the acceptances between SRC and DST that a crash
interrupted, so rerunning an interrupted command finishes its job.
"""

from types import SimpleNamespace

from School.management.operator import operator
from School.management.tables import write_listing
from School.models import Student
from School.transfers import protocol
from School.transfers.models import OPEN_STATES, OutgoingTransfer, State
from School.transfers.protocol import TransferError

BATCH = 200  # students per step of --all: one transaction per school and step


def add_transfer_actions(actions):
    moving = actions.add_parser("transfer", help="send students to another school (--accept: and accept them there)")
    moving.add_argument("source", metavar="SRC")
    moving.add_argument("numbers", nargs="*", metavar="REGNO")
    moving.add_argument("--all", action="store_true", help="every active student of SRC (a school closes or merges)")
    moving.add_argument("--to", required=True, metavar="DST")
    moving.add_argument("--accept", action="store_true", help="accept at DST too, acting for both schools")
    moving.add_argument("--note", default="")
    moving.add_argument("--number", action="append", default=[], metavar="REGNO=NEW",
                        help="with --accept: the registration number the student gets at DST (when REGNO is taken there)")

    listing = actions.add_parser("transfers", help="list transfers (envelopes only: no student data)")
    listing.add_argument("--school", default="", help="only those from or to this school")
    listing.add_argument("--state", choices=[state.value for state in State], default="")
    listing.add_argument("--format", choices=["table", "json"], default="table")


def handle_transfer(command, source, numbers, all, to, accept, note, number, **options):
    if bool(numbers) == all:
        raise TransferError("give registration numbers or --all, not both and not neither")
    source = protocol.school_named(source)
    target = protocol.school_named(to)
    if source.name == target.name:
        raise TransferError(f"the source and the destination are the same school ({source.name})")
    renumber = dict(pair.split("=", 1) for pair in number if "=" in pair)
    if len(renumber) != len(number):
        raise TransferError("--number takes REGNO=NEW")
    if renumber and not accept:
        raise TransferError("--number is for --accept: the receiving school chooses the number when it accepts")
    actor = protocol.Actor(operator(), source.name)
    if numbers:
        _students(source, target, numbers)  # an unknown number is refused before anything is written
    finished = protocol.finish_interrupted(source, target)
    if finished:
        command.stdout.write(f"Finished {len(finished)} interrupted transfers from {source.name} to {target.name}")
    if all:
        return _transfer_all(command, source, target, accept, note, actor)
    students, done = _students(source, target, numbers)
    for student in done:
        command.stdout.write(f"{student.registration_no}: transferred to {target.name} already")
    if not students:
        return
    _check(source, target, students, accept, renumber)
    rows = protocol.send(source, target, students, actor, note, resume=accept)
    if not accept:
        command.stdout.write(f"Sent {len(rows)} transfers from {source.name} to {target.name}, waiting for its answer: "
                             + ", ".join(str(row.key) for row in rows))
        return
    numbers_there = {row.key: renumber[student.registration_no] for row in rows
                     for student in students if row.student_id == student.pk and student.registration_no in renumber}
    accepted = protocol.accept(target, [row.key for row in rows], protocol.Actor(actor.username, target.name), numbers_there)
    command.stdout.write(f"Transferred {len(accepted)} students from {source.name} to {target.name}: "
                         + ", ".join(str(key) for key in accepted))


def _students(source, target, numbers):
    """(students to send, students already transferred to `target`); TransferError for an unknown number."""
    found = Student.objects.using(source.alias).in_bulk(list(dict.fromkeys(numbers)), field_name="registration_no")
    unknown = [number for number in numbers if number not in found]
    if unknown:
        raise TransferError(f"no student {unknown[0]!r} at {source.name}")
    students = [found[number] for number in dict.fromkeys(numbers)]
    left = [student for student in students if student.status == Student.Status.TRANSFERRED]
    done_ids = set(OutgoingTransfer.objects.using(source.alias).filter(
        student_id__in=[student.pk for student in left], to_school=target.name, state=State.ACCEPTED).values_list("student_id", flat=True))
    return ([student for student in students if student.pk not in done_ids],
            [student for student in students if student.pk in done_ids])


def _check(source, target, students, accept, renumber):
    """Everything that would refuse the transfer, before anything is written (send and accept check again)."""
    protocol.check_usable(target)
    for student in students:
        if student.status == Student.Status.TRANSFERRED:
            raise TransferError(f"student {student.registration_no} has left {source.name} already")
    pending = OutgoingTransfer.objects.using(source.alias).filter(
        student_id__in=[student.pk for student in students], state__in=OPEN_STATES)
    states = dict(protocol.envelopes().filter(key__in=list(pending.values_list("key", flat=True))).values_list("key", "state"))
    for row in pending:
        if states.get(row.key) in OPEN_STATES and not (accept and row.to_school == target.name):
            number = next(student.registration_no for student in students if student.pk == row.student_id)
            raise TransferError(f"student {number} already has a transfer pending to {row.to_school}")
    if accept:
        wanted = [renumber.get(student.registration_no, student.registration_no) for student in students]
        taken = protocol.taken_numbers(target, wanted)
        if taken:
            number = sorted(taken)[0]
            raise TransferError(f"registration number {number} is taken at {target.name}: give another with --number {number}=NEW")


def _transfer_all(command, source, target, accept, note, actor):
    from School.operations.fanout import Progress

    students = Student.objects.using(source.alias).filter(status=Student.Status.ACTIVE).order_by("pk")
    batches = []
    ids = list(students.values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        batch = list(Student.objects.using(source.alias).filter(pk__in=ids[start:start + BATCH]).order_by("pk"))
        _check(source, target, batch, accept, {})
        batches.append(batch)
    if not batches:
        command.stdout.write(f"{source.name} has no active students to transfer")
        return
    # The raw stream: OutputWrapper would end each redraw of the bar with a newline.
    progress = Progress(len(batches), getattr(command.stdout, "_out", command.stdout))
    moved = 0
    for batch in batches:
        rows = protocol.send(source, target, batch, actor, note, resume=accept)
        if accept:
            protocol.accept(target, [row.key for row in rows], protocol.Actor(actor.username, target.name))
        moved += len(rows)
        progress.update(SimpleNamespace(school=f"{moved} students", status="transferred" if accept else "sent"))
    what = "Transferred" if accept else "Sent"
    command.stdout.write(f"{what} {moved} students from {source.name} to {target.name}")


def handle_transfers(command, school, state, format, **options):
    listed = protocol.envelopes().order_by("created_at", "pk")
    if school:
        protocol.school_named(school)
        from django.db.models import Q

        listed = listed.filter(Q(source=school) | Q(target=school))
    if state:
        listed = listed.filter(state=state)
    fields = ("key", "source", "target", "state", "created_at", "answered_at")
    rows = [
        {name: (str(value) if name == "key" else value.isoformat() if hasattr(value, "isoformat") else value)
         for name, value in zip(fields, values)}
        for values in listed.values_list(*fields).iterator()
    ]
    write_listing(
        command.stdout, rows, format, "No transfers.", ("TRANSFER", "FROM", "TO", "STATE", "SENT", "ANSWERED"),
        lambda row: (row["key"], row["source"], row["target"], row["state"], row["created_at"][:16].replace("T", " "),
                     (row["answered_at"] or "-")[:16].replace("T", " ")),
    )


TRANSFER_ACTIONS = {"transfer": handle_transfer, "transfers": handle_transfers}
