"""Every feature's job kinds, imported before a worker takes a job (and before one is submitted).

JOB_MODULES (settings; env SCHOOL_JOB_MODULES, comma-separated) adds more,
e.g. a deployment's own kinds.
"""

from importlib import import_module

from django.conf import settings

from School.accounts import invitations, mail_jobs  # noqa: F401  (mail, and what an invitation does after it)
from School.documents import photo_jobs  # noqa: F401  (photo day)
from School.platform import schedule  # noqa: F401  (the nightly work)
from School.records import export_jobs, import_jobs  # noqa: F401
from School.register import absence_mails  # noqa: F401  (the guardians' absence mails)

for _name in settings.JOB_MODULES:
    import_module(_name)
