"""What `default` knows of each child: learner numbers issued once, and each school's students as keyed digests.

* Issuing: a new student without a learner number gets one when first
  written (Student.save, bulk_create: the `students_enrolling` signal). The
  number is claimed first in `default` as its digest (LearnerNumber, unique),
  a block at a time per process: a claimed number is given once or never,
  so a process killed with SIGKILL leaves unused numbers, never a number
  given twice.
* Following: every school's students are mirrored in `default` as
  StudentDigest rows (digest of the learner number, fingerprint of the
  record, active or not), rewritten when the school's figures are recounted
  (School/platform/figures.py runs `sync_school` for each count): after
  every write within FIGURES_FOLLOW_DELAY, after restore, clone and move,
  and by `schools refresh-figures`, which repairs them.

The fingerprint is HMAC-SHA256 of the record's normalised names, date of
birth and sex (see `fingerprint_text`); a record without a date of birth
has none (names alone would match too many children).
"""

import hashlib
import hmac
import logging
import os
import threading
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction

from School import table_reads
from School.compiled import rows_or_orm, update_by_keys, value_by
from School.identity.learner_number import digest, new_number
from School.models import School, Student
from School.platform.models import LearnerNumber, StudentDigest

logger = logging.getLogger(__name__)

BLOCK = 25  # numbers a process claims at once (one write to `default` per BLOCK new students)
BATCH = 1000
STEP = 200  # students numbered per transaction by `schools learner-numbers`


class _Claimed:
    """Numbers this process has claimed in `default` and not yet given; forgotten across a fork."""

    def __init__(self):
        self.lock = threading.Lock()
        self.numbers, self.owner = [], None

    def take(self, count):
        owner = (os.getpid(), str(connections[DEFAULT_DB_ALIAS].settings_dict.get("NAME")))
        with self.lock:
            if self.owner != owner:  # a forked child, or another registry (tests): the parent's are not ours
                self.numbers, self.owner = [], owner
            while len(self.numbers) < count:
                self.numbers.extend(claim(max(BLOCK, count - len(self.numbers))))
            taken, self.numbers = self.numbers[:count], self.numbers[count:]
        return taken


claimed = _Claimed()


def claim(count):
    """`count` new numbers, each recorded in `default` (as its digest) before it is returned."""
    while True:
        numbers = list({new_number() for _ in range(count)})
        try:
            with transaction.atomic(using=DEFAULT_DB_ALIAS):
                LearnerNumber.objects.using(DEFAULT_DB_ALIAS).bulk_create(
                    [LearnerNumber(digest=digest(number)) for number in numbers], batch_size=BATCH)
            return numbers
        except IntegrityError:  # one of 32**9 was taken already: draw the block again
            logger.info("a drawn learner number was taken; drawing again")


def give_numbers(sender, using, students, **kwargs):
    """Receiver of `students_enrolling`: a number for each student that has none."""
    waiting = [student for student in students if not student.learner_no]
    for student, number in zip(waiting, claimed.take(len(waiting)) if waiting else ()):
        student.learner_no = number


def waiting_query(alias):
    """The next step's students without a number (the index on learner_no finds them)."""
    return Student.objects.using(alias).filter(learner_no="").order_by("pk")[:STEP]


def number_waiting(alias):
    """Give every student of database `alias` without a number one, STEP students per transaction; returns how many."""
    given = 0
    while waiting := list(waiting_query(alias)):
        for student, number in zip(waiting, claimed.take(len(waiting))):
            student.learner_no = number
        with transaction.atomic(using=alias):
            Student.objects.using(alias).bulk_update(waiting, ["learner_no"])
        given += len(waiting)
    return given


def renumber(alias):
    """New numbers for every student of database `alias` (a clone for training must not hold real children's numbers)."""
    Student.objects.using(alias).update(learner_no="")
    return number_waiting(alias)


# --- the digests of a school's students ----------------------------------------------


def _hmac(kind, text):
    return hmac.new(settings.LEARNER_DIGEST_KEY.encode(), f"{kind}:{text}".encode(), hashlib.sha256).hexdigest()


def name_parts(*names):
    """Normalised name parts, sorted: NFKD with accents dropped, casefolded, split on anything not a letter or digit."""
    text = unicodedata.normalize("NFKD", " ".join(names))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return sorted("".join(c if c.isalnum() else " " for c in text).split())


def fingerprint_text(first_name, second_name, date_of_birth, sex):
    """What the fingerprint is the digest of; "" when the record has no date of birth."""
    if not date_of_birth:
        return ""
    return f"{' '.join(name_parts(first_name, second_name))}|{date_of_birth.isoformat()}|{sex or ''}"


def fingerprint(first_name, second_name, date_of_birth, sex):
    text = fingerprint_text(first_name, second_name, date_of_birth, sex)
    return _hmac("fingerprint", text) if text else ""


def digests_of(alias):
    """{student pk as text: (learner digest, fingerprint, active)} of a school, read from its own database."""
    return {
        str(pk): (digest(number) if number else "", fingerprint(first, second, born, sex), status == Student.Status.ACTIVE)
        for pk, _grade, status, sex, born, number, first, second in table_reads.students(alias)
    }


# The Student fields a digest is worked out from, but `active` (from `status`).
DIGEST_INPUTS = frozenset({"learner_no", "first_name", "second_name", "date_of_birth", "sex"})


def _stored(name):
    """(school key, {student: (row pk, (learner, fingerprint, active))}) of `default`'s rows of school `name`;
    (None, {}) when it is not registered."""
    key = value_by(DEFAULT_DB_ALIAS, School, "name", name, "pk")
    if key is None:
        return None, {}
    # Compiled once: run for each of 100,000 schools by refresh-figures --all.
    return key, {student: (pk, (learner, fp, active)) for pk, student, learner, fp, active in rows_or_orm(
        DEFAULT_DB_ALIAS, "digests of a school",
        lambda: StudentDigest.objects.using(DEFAULT_DB_ALIAS).filter(school_id=key).values_list(
            "pk", "student", "learner", "fingerprint", "active"),
        [key],
    )}


def store_digests(name, found):
    """Make `default`'s StudentDigest rows of school `name` those of `found`; returns the number of rows changed."""
    key, kept = _stored(name)
    return 0 if key is None else _write(key, kept, found)


def store_activity(name, alias):
    """store_digests() after writes that changed none of DIGEST_INPUTS and added or removed no student: only
    `active` can differ, so the digests kept are taken as they are, and not worked out again (an HMAC or two a
    student), nor read (only whose they are and whether active). Returns the ActivityChange to store with the
    school's figures (None: nothing changed). Where the students are not those kept, all of them are worked
    out and written now, as store_digests() does."""
    key = value_by(DEFAULT_DB_ALIAS, School, "name", name, "pk")
    if key is None:
        return None
    kept = rows_or_orm(
        DEFAULT_DB_ALIAS, "activity of a school's digests",
        lambda: StudentDigest.objects.using(DEFAULT_DB_ALIAS).filter(school_id=key).values_list("pk", "student", "active"),
        [key],
    )
    active = {str(pk): status == Student.Status.ACTIVE for pk, _grade, status, *_rest in table_reads.students(alias)}
    if {student for _pk, student, _active in kept} != active.keys():
        _log_changed(name, store_digests(name, digests_of(alias)))
        return None
    flipped = {True: [], False: []}
    for pk, student, was in kept:
        if was != active[student]:
            flipped[active[student]].append(pk)
    return ActivityChange(name, tuple(flipped[True]), tuple(flipped[False])) if flipped[True] or flipped[False] else None


@dataclass(frozen=True)
class ActivityChange:
    """Digests of one school whose child only started or stopped being active, to be written in the transaction
    that stores the school's figures (School/platform/figures.py `store`).

    Promotion day flips the graduates of every school: a transaction of `default` (a commit, a sync of its
    log) for each school was a tenth of a school's `--all promote`; in the figures' batch it is one for 50.
    It is data, not a closure: refresh-figures counts in worker processes and stores in the parent.
    """

    school: str
    starting: tuple  # digest keys of students now active
    stopping: tuple  # ... no longer active

    def apply(self):
        update_by_keys(DEFAULT_DB_ALIAS, StudentDigest, self.starting, {"active": True})
        update_by_keys(DEFAULT_DB_ALIAS, StudentDigest, self.stopping, {"active": False})
        _log_changed(self.school, len(self.starting) + len(self.stopping))


def _log_changed(name, changed):
    if changed:
        logger.info("%s student digests changed", changed, extra={"school": name})


def _write(key, kept, found):
    gone = [pk for student, (pk, _values) in kept.items() if student not in found]
    new, changed = [], []
    # Rows whose digests are the same are set active or not by two statements (bulk_update's one CASE per row
    # and field cost 100 ms for a school's leavers).
    activity = {True: [], False: []}
    for student, values in found.items():
        if student not in kept:
            new.append(StudentDigest(school_id=key, student=student, learner=values[0], fingerprint=values[1], active=values[2]))
        elif kept[student][1][:2] != values[:2]:
            changed.append(StudentDigest(pk=kept[student][0], learner=values[0], fingerprint=values[1], active=values[2]))
        elif kept[student][1][2] != values[2]:
            activity[values[2]].append(kept[student][0])
    if not (gone or new or changed or activity[True] or activity[False]):
        return 0
    digests = StudentDigest.objects.using(DEFAULT_DB_ALIAS)
    with transaction.atomic(using=DEFAULT_DB_ALIAS):
        for start in range(0, len(gone), BATCH):
            digests.filter(pk__in=gone[start:start + BATCH]).delete()
        for active, keys in activity.items():
            update_by_keys(DEFAULT_DB_ALIAS, StudentDigest, keys, {"active": active})
        digests.bulk_create(new, batch_size=BATCH)
        digests.bulk_update(changed, ["learner", "fingerprint", "active"], batch_size=BATCH)
    return len(gone) + len(new) + len(changed) + len(activity[True]) + len(activity[False])


def sync_school(school, fields=None):
    """Called by each count of a school's figures (inside its tenant context): its digests follow its students.

    `fields`: the Student fields changed since the school's last count (None: any, or not known). A promotion
    changes grades and statuses: the learner digests and fingerprints are then those kept, and the flips of
    `active` are returned (an ActivityChange) to be stored with the figures. What a lost recount left behind
    (a process killed inside the delay, or before its batch of figures was stored) waits for the nightly
    refresh-figures, which passes None and works every digest out.
    """
    if fields is not None and fields.isdisjoint(DIGEST_INPUTS):
        return store_activity(school.name, school.alias)
    _log_changed(school.name, store_digests(school.name, digests_of(school.alias)))
    return None
