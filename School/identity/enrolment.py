"""Is a child being enrolled already active at another school? Asked by the admin's form, the import's preview and the API.

Answered from `default`'s digests alone (School/identity/registry.py): the
same learner number (certain), or the same fingerprint of names, date of
birth and sex (likely). The registrar is told which school, is offered a
transfer from it instead, and may go on only with a reason, which the audit
trail keeps (action "Enrolled though active elsewhere").
"""

from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q
from django.utils.translation import gettext as _

from School.identity.learner_number import digest
from School.identity.registry import fingerprint
from School.models import School
from School.platform.models import StudentDigest
from School.security import audit

REASON_LENGTH = 200


@dataclass(frozen=True)
class Elsewhere:
    school: str  # its name
    display_name: str
    certain: bool  # the same learner number, not only the same fingerprint


def active_elsewhere(student, here):
    """[Elsewhere] for `student` (unsaved) at school `here` (its name): other schools where it is active."""
    return active_elsewhere_of([student], here)[0]


def active_elsewhere_of(students, here):
    """[[Elsewhere] for each of `students`] (unsaved, at school `here`): two queries to `default` for them all."""
    keys = [(digest(s.learner_no) if s.learner_no else "",
             fingerprint(s.first_name, s.second_name, s.date_of_birth, s.sex)) for s in students]
    learners = {learner for learner, _mark in keys if learner}
    marks = {mark for _learner, mark in keys if mark}
    if not (learners or marks):
        return [[] for _student in students]
    match = (Q(learner__in=learners) if learners else Q(pk__in=[])) | (Q(fingerprint__in=marks) if marks else Q(pk__in=[]))
    rows = list(StudentDigest.objects.using(DEFAULT_DB_ALIAS).filter(match, active=True)
                .values_list("school_id", "learner", "fingerprint"))
    schools = {pk: (name, shown or name) for pk, name, shown in School.objects.using(DEFAULT_DB_ALIAS)
               .filter(pk__in={school for school, _l, _f in rows}).values_list("pk", "name", "display_name")}
    answers = []
    for learner, mark in keys:
        found = {}
        for school, held, print_ in rows:
            if (learner and held == learner) or (mark and print_ == mark):
                found[school] = found.get(school, False) or bool(learner and held == learner)
        answers.append(sorted((Elsewhere(*schools[pk], certain) for pk, certain in found.items()
                               if pk in schools and schools[pk][0] != here), key=lambda e: e.school))
    return answers


def warning(elsewhere):
    """The registrar's message: which schools, how sure, and what to do instead."""
    schools = ", ".join(e.display_name for e in elsewhere)
    if any(e.certain for e in elsewhere):
        text = _("A child with this learner number is already active at %(schools)s.")
    else:
        text = _("A child with the same names, date of birth and sex is already active at %(schools)s.")
    return " ".join([text % {"schools": schools}, _(
        "Ask that school to transfer the record to you instead (a transfer keeps one record), "
        "or give a reason to enrol the child here anyway.")])


def record_enrolled_anyway(request, student, elsewhere, reason, using=None, username=None):
    """The audit trail's line: who enrolled which student though active where, and why."""
    where = ", ".join(e.school for e in elsewhere)
    audit.record(request, audit.ENROLLED_ANYWAY, target=f"{student.pk} {student.registration_no}", rows=1,
                 result=f"{where}: {reason}"[:REASON_LENGTH], using=using, username=username)
