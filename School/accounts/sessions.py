"""The session engine (SESSION_ENGINE): Django's database sessions, kept per worker under the school's access stamp.

A signed-in user's every request reads the session. It is read here from
the worker's kept sign-ins (School/accounts/kept_sign_ins.py) while the
school's access token is the one it was read under, else from the database
with a statement compiled once (School/compiled.py; on MongoDB the read is
Django's). Updating or deleting a session changes that token in the same
transaction, so no worker serves the old one after the write commits. What
is stored, written, expired and cleared is Django's own.
"""

from asgiref.sync import sync_to_async
from django.contrib.sessions.backends import db
from django.db import router, transaction
from django.utils import timezone

from School.accounts import kept_sign_ins
from School.compiled import NO_STATEMENT, row_by


class SessionStore(db.SessionStore):
    kept = None  # the KeptSignIn this store's data came from or went into
    students_token = None  # (alias, token): the students stamp, read with the access stamp

    def _get_session_from_db(self):
        row = row_by(router.db_for_read(self.model), self.model, "session_key", self.session_key,
                     ("session_data", "expire_date"))
        if row is NO_STATEMENT:
            return super()._get_session_from_db()
        if row is None or row[1] <= timezone.now():  # what the ORM's expire_date__gt=now() leaves out
            self._session_key = None
            return None
        return self.model(session_key=self.session_key, session_data=row[0], expire_date=row[1])

    def load(self):
        self.kept = None
        if not self.session_key:
            return super().load()
        alias, key = router.db_for_read(self.model), self.session_key
        # Before the session (see kept_sign_ins); the students' stamp in the same
        # statement, for the student table of this request (students_token()).
        token, students = kept_sign_ins.access_and_students_tokens(alias)
        self.students_token = (alias, students)
        entry = kept_sign_ins.kept(alias, key, token)
        if entry is None:
            row = self._get_session_from_db()
            data = self.decode(row.session_data) if row else {}
            entry = kept_sign_ins.keep(alias, key, token, data, row.expire_date) if row else None
            if entry is None:
                return data
        self.kept = entry
        return entry.session_data()

    def save(self, must_create=False):
        self.kept = None
        if must_create or self.session_key is None:  # a new key: no worker keeps it
            return super().save(must_create)
        using = router.db_for_write(self.model)
        with transaction.atomic(using=using):
            super().save(must_create)
            kept_sign_ins.access_changed(using)

    def delete(self, session_key=None):
        self.kept = None
        if session_key is None and self.session_key is None:
            return
        using = router.db_for_write(self.model)
        with transaction.atomic(using=using):
            super().delete(session_key)
            kept_sign_ins.access_changed(using)

    # The async API writes through the same steps (alogout() flushes with adelete()).
    async def asave(self, must_create=False):
        await sync_to_async(self.save)(must_create)

    async def adelete(self, session_key=None):
        await sync_to_async(self.delete)(session_key)


def students_token(request, alias):
    """The students stamp of `alias` as this request's session read it, or READ_APART (none read: read it apart).

    Read at the start of the request, before any of the table's rows: what
    SchoolFacts requires of its token (School/records/table.py).
    """
    read = getattr(getattr(request, "session", None), "students_token", None)
    return read[1] if read is not None and read[0] == alias else READ_APART


READ_APART = object()
