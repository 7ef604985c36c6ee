"""A signed-in session kept per worker: its data, user, permissions and device, under the school's access stamp.

Every request of a signed-in user read its session, its user, the user's
permissions and the session's second-factor device: four statements and a
session decoded, more than half of the signed-in student table's time in the
profile (issue 31). Here a worker keeps them, per school and session key,
under the token of the school's ACCESS stamp (School.models.StudentsStamp),
and a request reads that token (one tiny query) instead.

Every write a signed-in request depends on changes the token, in whichever
worker or process makes it, so no worker serves what it kept after that write:

* a session updated or deleted through the session engine (signing in or
  out, a changed language, a verified second factor), in the same
  transaction as the write (School/accounts/sessions.py);
* a user saved or deleted (password, active, staff, superuser), a user's
  groups or permissions, a group's permissions, a group or a permission or
  a content type deleted, a second-factor device saved or deleted (signals,
  connected below).

A new session needs no new token: no worker keeps a key that did not exist.
The token is read before anything kept under it is read from the database,
so what a request reads after a later write is only ever filed under the
older token. A kept session's expiry is checked at every request. Kept
sessions are filed under the database they were read from (its name or
file): a school restored or moved into a new database, whose stamp came
from a backup, finds none of them.
Writes that bypass the ORM's signals (queryset.update() of users or devices,
raw SQL) are not seen: the project makes none.

Each request gets its own copies (of the session's data, the user, the
device): what a request changes on them never reaches the next one.
"""

import copy
from collections import OrderedDict
from contextlib import suppress

from django.contrib.auth import get_user
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections
from django.db.models.base import ModelState
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_migrate
from django.utils import timezone

from School.models import ACCESS, STUDENTS, StudentsStamp, renew_token

# Sessions kept per worker, all schools together (a few KiB each).
KEPT_SIGN_INS = 1024

_kept = OrderedDict()  # (alias, database name, session key) -> KeptSignIn


def _scalar(value):
    return value is None or isinstance(value, (str, int, float, bool))


def _clone(instance):
    """A model instance of its own with the same field values (copy.copy() pickles and unpickles: 5x slower)."""
    if instance is None:
        return None
    clone = instance.__class__.__new__(instance.__class__)
    clone.__dict__.update(instance.__dict__)
    clone._state = ModelState()
    clone._state.db, clone._state.adding = instance._state.db, instance._state.adding
    return clone


class KeptSignIn:
    """One session as read under one token: its data and expiry, then its user and devices as first read."""

    __slots__ = ("token", "data", "expire_date", "user", "devices", "answers", "_flat")

    def __init__(self, token, data, expire_date):
        self.token, self.data, self.expire_date = token, data, expire_date
        self.user = None  # the authenticated user with its permissions, never handed out itself
        self.devices = {}  # persistent id -> device (or None: none such)
        self.answers = {}  # question -> what the user may do, as first answered (see answer())
        self._flat = all(_scalar(value) for value in data.values())

    def session_data(self):
        return dict(self.data) if self._flat else copy.deepcopy(self.data)

    def keep_user(self, user):
        kept = _clone(user)
        if kept.is_active and not kept.is_superuser:
            # Read now, once per token: every later request of this session answers has_perm from it.
            kept._perm_cache = frozenset(kept.get_all_permissions())
        self.user = kept

    def user_copy(self):
        return _clone(self.user)


def access_and_students_tokens(alias):
    """The access token, and the students' read in the same statement (the student table's, for this request)."""
    tokens = StudentsStamp.current_tokens(alias, (ACCESS, STUDENTS))
    return tokens.get(ACCESS), tokens.get(STUDENTS)


def _key(alias, session_key):
    # The alias's settings, as its connections are made with them (School/connections.py ensure_alias):
    # connections[alias] would go through the per-thread connection store at every request.
    return alias, connections.settings[alias]["NAME"], session_key


def kept(alias, session_key, token):
    """The session kept under `token`, unexpired, or None."""
    if token is None:
        return None
    key = _key(alias, session_key)
    entry = _kept.get(key)
    if entry is None or entry.token != token or entry.expire_date <= timezone.now():
        return None
    with suppress(KeyError):  # another thread of this worker may have dropped it meanwhile
        _kept.move_to_end(key)
    return entry


def keep(alias, session_key, token, data, expire_date):
    """Keep a session read under `token` (None: no access write recorded yet, nothing to key on)."""
    if token is None or not data:
        return None
    entry = _kept[_key(alias, session_key)] = KeptSignIn(token, data, expire_date)
    while len(_kept) > KEPT_SIGN_INS:
        with suppress(KeyError):
            _kept.popitem(last=False)
    return entry


def forget_sign_ins():
    """Drop every kept session (tests, benchmarks that time the reads themselves)."""
    _kept.clear()


def of(request):
    """The kept sign-in the request's session was read from or into, while the request has not changed it."""
    session = request.session
    session._get_session()  # loads it, once per request
    return None if session.modified else getattr(session, "kept", None)


def signed_in_user(request):
    """request.user: the kept user's copy, or Django's get_user() kept for the next request."""
    if not hasattr(request, "_cached_user"):
        entry = of(request)
        if entry is not None and entry.user is not None:
            user = entry.user_copy()
        else:
            user = get_user(request)
            entry = of(request)  # get_user may have flushed or cycled the session
            if entry is not None and user.is_authenticated:
                entry.keep_user(user)
                user = entry.user_copy()  # with the permissions just read
        request._cached_user = user
    return request._cached_user


def answer(request, question, ask):
    """`ask()`, a question about what request.user may do (its permissions, staff), kept with the session's user.

    Asked once per kept sign-in: any change to the user, their groups or
    permissions changes the access token, and the next request asks again.
    has_perm() asks every authentication backend, loaded anew at each call.
    Asked each time when the request's user is not the kept one's (none kept,
    or the session changed during the request). Only for questions whose
    answer depends on nothing else (not on the request, nor on the device).
    """
    entry = of(request) if hasattr(request, "session") else None
    if entry is None or entry.user is None or request.user.pk != entry.user.pk:
        return ask()
    answers = entry.answers
    if question not in answers:
        answers[question] = ask()
    return answers[question]


def device(request, persistent_id, load):
    """The session's device `load(persistent_id)` read, kept with the session."""
    entry = of(request)
    if entry is None:
        return load(persistent_id)
    if persistent_id not in entry.devices:
        entry.devices[persistent_id] = load(persistent_id)
    return _clone(entry.devices[persistent_id])


# The databases (alias, name) whose stamps' table was seen; forgotten when a migration starts.
_stamped = set()


def access_changed(using):
    """A write to who may do what at the database `using`: every worker reads its sessions again."""
    key = (using, connections[using].settings_dict["NAME"])
    if key not in _stamped:
        if StudentsStamp._meta.db_table not in connections[using].introspection.table_names():
            # Migrated back to (or not yet up to) before the stamps' table, as by `migrate School zero`: the
            # standard groups still get their permissions from post_migrate, and nobody can be signed in here.
            return
        _stamped.add(key)
    renew_token(StudentsStamp.objects.using(using), ACCESS)


def _migration_starts(**kwargs):
    _stamped.clear()


def _saved_or_deleted(sender, instance, using, **kwargs):
    access_changed(using)


def _memberships_changed(sender, action, using, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        access_changed(using)


def connect():
    """Connected once at start-up (School.accounts.apps): every model a signed-in request is let in by."""
    from django_otp.models import Device
    from django.apps import apps

    user_model = get_user_model()
    devices = [model for model in apps.get_models() if issubclass(model, Device)]
    for model in (user_model, Group, Permission, ContentType, *devices):
        post_delete.connect(_saved_or_deleted, sender=model, dispatch_uid=f"kept-sign-ins-{model._meta.label}")
    for model in (user_model, Permission, *devices):
        post_save.connect(_saved_or_deleted, sender=model, dispatch_uid=f"kept-sign-ins-{model._meta.label}")
    for through in (user_model.groups.through, user_model.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(_memberships_changed, sender=through, dispatch_uid=f"kept-sign-ins-{through._meta.label}")
    pre_migrate.connect(_migration_starts, dispatch_uid="kept-sign-ins-migration")
