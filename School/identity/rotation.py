"""`schools learner-numbers rotate-key`: recompute every digest in `default` under a new LEARNER_DIGEST_KEY.

Run with the web workers and job workers stopped (a maintenance window),
the new key in LEARNER_DIGEST_KEY_NEW and the current one still in
LEARNER_DIGEST_KEY; then set LEARNER_DIGEST_KEY to the new key everywhere
and start again. Every school's numbers are read at the school (`default`
has none to recompute from): each issued number a student holds gets its
new digest, in one transaction; a digest no student's number matches (a
number given to a student since removed, or claimed by a process and never
given) cannot be recomputed and is dropped. The students' digests are then
rebuilt under the new key, school by school.
"""

import os

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction

from School.context import tenant_context
from School.identity.learner_number import digest
from School.identity.registry import digests_of, store_digests
from School.models import Student
from School.operations.provisioning import SchoolError
from School.platform.models import LearnerNumber, StudentDigest
from School.utils import all_schools

NEW_KEY = "LEARNER_DIGEST_KEY_NEW"


def rotate_key(stdout):
    new_key = os.environ.get(NEW_KEY, "")
    if not new_key or new_key == settings.LEARNER_DIGEST_KEY:
        raise SchoolError(f"set {NEW_KEY} to the new key (a long random string, not the current one)")
    schools = all_schools()
    renamed = {}
    for school in schools:
        with tenant_context(school):
            for number in Student.objects.exclude(learner_no="").values_list("learner_no", flat=True).distinct():
                renamed[digest(number)] = digest(number, new_key)
    issued = LearnerNumber.objects.using(DEFAULT_DB_ALIAS)
    with transaction.atomic(using=DEFAULT_DB_ALIAS):
        dropped = issued.exclude(digest__in=list(renamed)).delete()[0] if renamed else issued.all().delete()[0]
        for row in issued.all().only("pk", "digest").iterator():
            if row.digest in renamed:
                issued.filter(pk=row.pk).update(digest=renamed[row.digest])
        StudentDigest.objects.using(DEFAULT_DB_ALIAS).all().delete()
    old_key, settings.LEARNER_DIGEST_KEY = settings.LEARNER_DIGEST_KEY, new_key
    try:
        for school in schools:
            with tenant_context(school):
                store_digests(school.name, digests_of(school.alias))
    finally:
        settings.LEARNER_DIGEST_KEY = old_key
    stdout.write(f"{len(renamed)} learner numbers re-keyed at {len(schools)} schools, {dropped} unheld digests dropped;"
                 f" now set LEARNER_DIGEST_KEY to the new key on every server\n")
