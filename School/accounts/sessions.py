"""The session engine (SESSION_ENGINE): Django's database sessions, each read with a statement compiled once.

A signed-in user's every request reads the session; the ORM built that
statement again each time (School/compiled.py). What is stored, written,
expired and cleared is Django's own; on MongoDB the read is Django's too.
"""

from django.contrib.sessions.backends import db
from django.db import router
from django.utils import timezone

from School.compiled import NO_STATEMENT, row_by


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        row = row_by(router.db_for_read(self.model), self.model, "session_key", self.session_key,
                     ("session_data", "expire_date"))
        if row is NO_STATEMENT:
            return super()._get_session_from_db()
        if row is None or row[1] <= timezone.now():  # what the ORM's expire_date__gt=now() leaves out
            self._session_key = None
            return None
        return self.model(session_key=self.session_key, session_data=row[0], expire_date=row[1])
