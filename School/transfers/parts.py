"""The parts of a record that travel with it, beside the Student row itself.

A part is a small object with two steps, both run again after a crash, so
each must do its work once per transfer key:

    copy(moves)     put the part of each moved record at the receiving school
    remove(moves)   at the sending school, once the receiver holds it (most parts keep it)

`moves` are Move tuples of one sender and one receiver. To carry another
part, append an instance to RECORD_PARTS.
"""

import datetime
from dataclasses import dataclass

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType

from School.documents.carry import read_student_files, write_student_files
from School.identity.guardians import given, guardians_of, replace_guardians
from School.identity.models import Guardianship
from School.models import Student
from School.register.carry import carry_attendance
from School.register.groups import leave_groups
from School.school_year.carry import carry_years, end_years
from School.transactions import atomic
from School.transfers.models import CarriedHistory, IncomingTransfer


@dataclass(frozen=True)
class Move:
    key: object  # the transfer's UUID
    source: object  # SchoolInfo of the sender
    target: object  # SchoolInfo of the receiver
    original: Student  # at the sender
    copy: Student  # at the receiver


class RecordPart:
    name = ""

    def copy(self, moves):
        raise NotImplementedError

    def remove(self, moves):
        """Parts are kept at the sender by default: its record stays, read-only."""


LOG_ACTIONS = {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}


class HistoryPart(RecordPart):
    """The record's history at the sender (its admin log, and where it came from) goes with it."""

    name = "history"

    def copy(self, moves):
        if not moves:
            return
        source, target = moves[0].source.alias, moves[0].target.alias
        keys = [move.key for move in moves]
        done = set(CarriedHistory.objects.using(target).filter(transfer_key__in=keys).values_list("transfer_key", flat=True))
        moves = [move for move in moves if move.key not in done]
        if not moves:
            return
        ids = [move.original.pk for move in moves]
        earlier = {}
        for line in CarriedHistory.objects.using(source).filter(student_id__in=ids).order_by("at", "pk"):
            earlier.setdefault(str(line.student_id), []).append((line.at, line.school, line.username, line.action, line.message))
        content_type = ContentType.objects.db_manager(source).get_for_model(Student)
        entries = LogEntry.objects.using(source).filter(content_type_id=content_type.pk, object_id__in=[str(pk) for pk in ids])
        here = moves[0].source.display_name
        for entry in entries.select_related("user").order_by("action_time", "pk"):
            earlier.setdefault(entry.object_id, []).append(
                (entry.action_time, here, entry.user.get_username() if entry.user_id else "",
                 LOG_ACTIONS.get(entry.action_flag, "changed"), entry.get_change_message())
            )
        for arrival in IncomingTransfer.objects.using(source).filter(student_id__in=ids):
            earlier.setdefault(str(arrival.student_id), []).append(
                (arrival.accepted_at, here, arrival.accepted_by, "transferred in", arrival.from_display_name)
            )
        lines = []
        for move in moves:
            for position, (at, school, username, action, message) in enumerate(sorted(earlier.get(str(move.original.pk), ()), key=lambda line: line[0])):
                lines.append(CarriedHistory(
                    student_id=move.copy.pk, transfer_key=move.key, position=position, at=at,
                    school=school, username=username, action=action, message=message,
                ))
        if lines:
            with atomic(target):
                CarriedHistory.objects.using(target).bulk_create(lines)


class DocumentsPart(RecordPart):
    """The student's photo and documents go with the record (School/documents/); the sender keeps its copies.

    A rerun after a crash skips the files the receiver already holds
    (write_student_files is idempotent per file: same kind, same checksum).
    """

    name = "documents"

    def copy(self, moves):
        for move in moves:
            write_student_files(move.copy, read_student_files(move.original), school_name=move.target.name)


class YearsPart(RecordPart):
    """The student's years (School/school_year/carry.py): read-only at the receiver, which enrols it in its
    current year; the sender's current enrolment ends "transferred out"."""

    name = "years"

    def copy(self, moves):
        carry_years(moves)

    def remove(self, moves):
        end_years(moves)



class GuardiansPart(RecordPart):
    """The student's guardians go with the record: at the receiver each person is matched to one it knows
    (same name and phone, or name and email: a sibling's guardian there) or added. A rerun after a crash
    skips the records whose guardians the receiver already holds."""

    name = "guardians"

    def copy(self, moves):
        if not moves:
            return
        source, target = moves[0].source.alias, moves[0].target.alias
        done = set(Guardianship.objects.using(target).filter(
            student_id__in=[move.copy.pk for move in moves]).values_list("student_id", flat=True))
        moves = [move for move in moves if move.copy.pk not in done]
        found = guardians_of(source, [move.original.pk for move in moves])
        with atomic(target):
            replace_guardians(target, [
                (move.copy.pk, [given(link, person) for link, person in found[move.original.pk]])
                for move in moves if move.original.pk in found
            ])



class AttendancePart(RecordPart):
    """The student's attendance (School/register/carry.py): each year's figures and the marks not present,
    read-only at the receiver; the sender keeps its registers whole (they are its legal record)."""

    name = "attendance"

    def copy(self, moves):
        carry_attendance(moves, datetime.date.today())

    def remove(self, moves):
        """A student who left leaves the sender's register groups (a trip, a team); group registers are not carried:
        they are the sender's extra records, not attendance at school."""
        if moves:
            leave_groups(moves[0].source.alias, [move.original.pk for move in moves])


RECORD_PARTS = [HistoryPart(), DocumentsPart(), YearsPart(), GuardiansPart(), AttendancePart()]
