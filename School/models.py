"""The data of the platform.

Two kinds of models live here:

* the school registry (School, SchoolHost, RegistryChange), kept in the
  `default` database only (see School.router), which says which schools exist
  and which host names reach them;
* the school records (Student, and StudentsStamp whose rows change with every
  write to the students, and to who may do what: School/accounts/kept_sign_ins.py),
  kept in each school's own database.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, router, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from School.compiled import rows_of, update_by_keys, value_by
from School.events import students_changed, students_enrolling
from School.fields import TextLineField, normalise_fields
from School.validation import (
    DATE_ORDERS,
    normalise_text,
    not_before_earliest,
    not_in_future,
    today,
    validate_date_order,
    validate_host,
    validate_language,
    validate_registration_no,
    validate_school_name,
    validate_time_zone,
)


# Callables, not values: the migrations name the function, so a deployment's
# own defaults (settings) never make `makemigrations --check` see a change.
def default_language():
    return settings.SCHOOL_DEFAULT_LANGUAGE


def default_time_zone():
    return settings.SCHOOL_DEFAULT_TIME_ZONE


def default_date_order():
    return settings.SCHOOL_DEFAULT_DATE_ORDER


def language_choices():
    return settings.LANGUAGES


class School(models.Model):
    name = models.CharField(
        max_length=40,
        unique=True,
        validators=[validate_school_name],
        verbose_name=_("name"),
        help_text=_("Also the school's database alias: lowercase letters, digits and _."),
    )
    display_name = models.CharField(_("display name"), max_length=200)
    mongodb_uri = models.CharField(
        "MongoDB URI",
        max_length=1000,
        blank=True,
        help_text="Only for a school kept on a cluster of its own; empty means the deployment's cluster.",
    )
    database = models.CharField(
        max_length=1000,
        blank=True,
        help_text="Where the data is when not in the default place: a SQLite file, or a MongoDB database name "
        "(set by restore --replace and move).",
    )
    cluster = models.CharField(
        _("cluster"),
        max_length=40,
        blank=True,
        help_text=_("The MongoDB cluster of MONGODB_CLUSTERS the school's database is on; empty means `main`."),
    )
    suspended = models.BooleanField(
        _("suspended"),
        default=False,
        help_text=_("A suspended school's hosts answer 'temporarily unavailable'; its data is kept."),
    )
    language = models.CharField(
        _("language"), max_length=10, default=default_language, choices=language_choices, validators=[validate_language],
        help_text=_("The language of the school's pages (each user may choose another)."),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=default_time_zone, validators=[validate_time_zone],
        help_text=_("IANA time zone, e.g. Africa/Nairobi: times are shown in it (and stored in UTC)."),
    )
    date_order = models.CharField(
        _("date order"), max_length=3, default=default_date_order, choices=list(DATE_ORDERS.items()), validators=[validate_date_order],
        help_text=_("How the school writes dates: files are imported (and exported with local dates) in this order."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["name"]

    def __str__(self):
        return self.display_name or self.name


class SchoolHost(models.Model):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="hosts", verbose_name=_("school"))
    host = models.CharField(_("host"), max_length=253, unique=True, validators=[validate_host])

    class Meta:
        verbose_name = _("host")
        verbose_name_plural = _("hosts")
        ordering = ["host"]
        indexes = [models.Index(fields=["school"], name="schoolhost_school_idx")]

    def __str__(self):
        return self.host


class RegistryChange(models.Model):
    """One row per change of the registry, written in the change's own transaction.

    Workers cache the schools they have resolved and, every
    SCHOOL_REGISTRY_TTL seconds, read the rows added since they last looked
    (a range on the primary key) to forget exactly the hosts and schools that
    changed, whatever the number of schools. `manage.py prune_registry_log`
    deletes old rows; a worker that finds its position pruned forgets its
    whole cache, which costs nothing but cache misses.
    """

    school_key = models.CharField(max_length=40, help_text="The school's primary key, as text (ObjectId on MongoDB).")
    name = models.CharField(max_length=40, blank=True)
    host = models.CharField(max_length=253, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.pk}: {self.name} {self.host}".rstrip()


# Lower-case copies of the searched columns: an ordinary index then serves a
# case-insensitive prefix search on SQLite and MongoDB alike.
SEARCH_KEYS = {"first_name": "first_name_key", "second_name": "second_name_key", "registration_no": "registration_key"}


STUDENTS = "students"
# Sessions, users, their groups and permissions, second-factor devices
# (School/accounts/kept_sign_ins.py): what a signed-in request is let in by.
ACCESS = "access"


class StudentsStamp(models.Model):
    """Rows of a school database whose tokens change with every write to what they stand for.

    Key STUDENTS: its students. ACCESS: who may do what (sessions, users,
    groups, permissions, second factors). Workers cache what is costly to
    compute (the list of classes, a signed-in session's user) under a
    token: reading it is one tiny query, and a write by any worker makes
    every worker's cached copy unreachable at once.
    """

    key = models.CharField(max_length=20, unique=True)
    token = models.CharField(max_length=32)

    def __str__(self):
        return f"{self.key}: {self.token}"

    @classmethod
    def current(cls, using, key=STUDENTS):
        # Read on every request of the student table (and of a signed-in
        # user): its statement is compiled once per kind of database, not
        # built by the ORM each time.
        return value_by(using, cls, "key", key, "token")

    @classmethod
    def current_tokens(cls, using, keys):
        """{key: token} of each of `keys` (a tuple) in one statement; a key never written is missing."""
        def build():
            return cls.objects.using(using).filter(key__in=keys).values_list("key", "token")

        rows = rows_of(using, ("stamps", keys), build, list(keys))
        return dict(build() if rows is None else rows)

    @classmethod
    def bump(cls, using, fields=None):
        """Called AFTER the write: a reader that sees the new token also sees the new rows.

        `fields`: the Student fields the write may have changed, where the writer knows (None: any)."""
        renew_token(cls.objects.using(using), STUDENTS)
        students_changed.send(sender=cls, using=using, fields=fields)


def renew_token(stamps, key):
    """Give the stamp row `key` of `stamps` (a queryset) a new random token, creating the row if needed."""
    token = uuid.uuid4().hex
    # A plain update, then a create for the very first change: portable to
    # MongoDB, which has no SELECT ... FOR UPDATE for update_or_create().
    # The update by a statement kept once per process: every write of students renews the stamp.
    if not update_by_keys(stamps.db, stamps.model, [key], {"token": token}, by="key"):
        try:
            with transaction.atomic(using=stamps.db):
                stamps.create(key=key, token=token)
        except IntegrityError:  # another process created it meanwhile
            stamps.filter(key=key).update(token=token)


def _with_search_keys(student):
    # Normalised first: the keys are what a search (normalised the same way) meets.
    normalise_fields(student)
    for field, key in SEARCH_KEYS.items():
        setattr(student, key, (getattr(student, field) or "").lower())
    return student


class StudentQuerySet(models.QuerySet):
    """Every bulk write keeps the search keys right and changes the students' stamp."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = [_with_search_keys(student) for student in objs]
        students_enrolling.send(sender=Student, using=self.db, students=[s for s in objs if s.pk is None])
        created = super().bulk_create(objs, *args, **kwargs)
        StudentsStamp.bump(self.db)
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = [_with_search_keys(student) for student in objs]
        fields = [*fields, *(key for field, key in SEARCH_KEYS.items() if field in fields)]
        updated = super().bulk_update(objs, fields, *args, **kwargs)
        StudentsStamp.bump(self.db)
        return updated

    def update(self, **kwargs):
        fields = frozenset(kwargs)
        updated = self._update_keyed(kwargs)
        StudentsStamp.bump(self.db, fields=fields)
        return updated

    def update_groups(self, groups):
        """Several updates, each of its own rows ((pks, {field: value}) pairs, e.g. each grade to its next on
        promotion day), then one change of the stamp: what one .update() per group would do, less the repeats."""
        updated, fields = 0, set()
        for pks, changes in groups:
            changes = self._keyed(dict(changes))
            fields.update(changes)
            if self.query.has_filters() or any(hasattr(value, "resolve_expression") for value in changes.values()):
                updated += models.QuerySet.update(self.filter(pk__in=pks), **changes)
            else:  # plain values by key (every promotion's): one statement compiled here, not by the ORM
                updated += update_by_keys(self.db, self.model, pks, changes)
        # Which fields: a promotion moves grades and statuses only, and the recount that follows need not
        # work out every student's identity digests again (School/identity/registry.py sync_school).
        StudentsStamp.bump(self.db, fields=frozenset(fields))
        return updated

    def _update_keyed(self, kwargs):
        return super().update(**self._keyed(kwargs))

    def _keyed(self, kwargs):
        """The changes as written: text lines normalised, the search keys of the fields searched by."""
        for name, value in kwargs.items():
            if isinstance(self.model._meta.get_field(name), TextLineField) and isinstance(value, str):
                kwargs[name] = normalise_text(value)
        for field, key in SEARCH_KEYS.items():
            if field in kwargs:
                value = kwargs[field]
                kwargs[key] = Lower(value) if hasattr(value, "resolve_expression") else value.lower()
        return kwargs

    def delete(self):
        deleted = super().delete()
        StudentsStamp.bump(self.db)
        return deleted


class Student(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        GRADUATED = "graduated", _("Graduated")
        TRANSFERRED = "transferred", _("Transferred")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Sex(models.TextChoices):
        # As ministries' returns count (UIS and national EMIS forms: female,
        # male); "" is a record that does not say, never a guess.
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        NOT_RECORDED = "", _("Not recorded")

    registration_no = models.CharField(
        _("registration number"), max_length=64, unique=True, validators=[validate_registration_no]
    )
    first_name = TextLineField(_("first name"), max_length=100)
    second_name = TextLineField(_("last name"), max_length=100)
    date_of_birth = models.DateField(
        _("date of birth"), null=True, blank=True, validators=[not_before_earliest, not_in_future]
    )
    # Issued by the platform when first enrolled anywhere, carried for life (School/identity/registry.py).
    learner_no = models.CharField(
        _("learner number"), max_length=32, blank=True, default="",
        help_text=_("The platform's number for this child at every school; issued when first enrolled."),
    )
    sex = models.CharField(_("sex"), max_length=6, choices=Sex.choices, blank=True, default=Sex.NOT_RECORDED)
    grade = TextLineField(
        _("class"), max_length=40, blank=True, help_text=_("Class or grade, e.g. Form 2 or Grade 7B.")
    )
    enrolment_date = models.DateField(
        _("enrolment date"), default=today, validators=[not_before_earliest, not_in_future]
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    # Guardians: School/identity/models.py (Guardianship.student, related name "guardianships").
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    first_name_key = models.CharField(max_length=100, editable=False, default="")
    second_name_key = models.CharField(max_length=100, editable=False, default="")
    registration_key = models.CharField(max_length=64, editable=False, default="")

    objects = StudentQuerySet.as_manager()

    class Meta:
        verbose_name = _("student")
        verbose_name_plural = _("students")
        ordering = ["registration_no"]
        permissions = [("transfer_student", "Can transfer students to another school")]
        indexes = [
            # The student table sorts, searches and filters by these.
            models.Index(fields=["second_name", "first_name"], name="student_name_idx"),
            models.Index(fields=["first_name"], name="student_first_name_idx"),
            models.Index(fields=["grade", "second_name"], name="student_grade_idx"),
            models.Index(fields=["status", "second_name"], name="student_status_idx"),
            models.Index(fields=["enrolment_date"], name="student_enrolment_idx"),
            # Filters in the default order (registration number), and the prefix search.
            models.Index(fields=["grade", "status", "registration_no"], name="student_grade_status_idx"),
            models.Index(fields=["status", "registration_no"], name="student_status_reg_idx"),
            # The sex filter: in the default order, counted and its page read from the index alone (status
            # and the columns the table shows are in it: no look-up of each row), and by name.
            models.Index(fields=["sex", "registration_no", "status", "first_name", "second_name", "grade"],
                         name="student_sex_page_idx"),
            models.Index(fields=["sex", "second_name", "first_name"], name="student_sex_name_idx"),
            models.Index(fields=["first_name_key"], name="student_first_key_idx"),
            models.Index(fields=["second_name_key"], name="student_second_key_idx"),
            models.Index(fields=["registration_key"], name="student_reg_key_idx"),
            models.Index(fields=["learner_no"], name="student_learner_no_idx"),
        ]

    def __str__(self):
        return f"{self.registration_no} {self.first_name} {self.second_name}"

    def save(self, *args, **kwargs):
        _with_search_keys(self)
        if self._state.adding and not self.learner_no:
            students_enrolling.send(sender=Student, using=kwargs.get("using"), students=[self])
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = [
                *kwargs["update_fields"],
                *(key for field, key in SEARCH_KEYS.items() if field in kwargs["update_fields"]),
            ]
        # The row and the stamp in one transaction on SQLite: one commit (one
        # fsync, one turn at the write lock) instead of two, and a reader sees
        # both or neither. (On MongoDB Django's atomic() is a no-op, as before.)
        with self._write_transaction(kwargs.get("using")):
            super().save(*args, **kwargs)
            StudentsStamp.bump(self._state.db)

    def delete(self, *args, **kwargs):
        with self._write_transaction(kwargs.get("using")):
            deleted = super().delete(*args, **kwargs)
            StudentsStamp.bump(self._state.db)
        return deleted

    def _write_transaction(self, using):
        # The database Django's save() and delete() would pick themselves.
        return transaction.atomic(using=using or router.db_for_write(Student, instance=self))

    def clean(self):
        super().clean()
        if self.date_of_birth and self.enrolment_date and self.date_of_birth >= self.enrolment_date:
            raise ValidationError({"date_of_birth": _("The date of birth must be before the enrolment date.")})
