"""A student's guardians in files and the API: reading them, saving them (one contact per person), listing them.

Files carry two guardians in the columns of GUARDIAN_COLUMNS (guardian1_name,
guardian1_relationship, guardian1_phone, guardian1_email, then guardian2_...);
the columns of files made before guardians had their own records,
guardian_name and guardian_phone, are read as guardian 1. A guardian is
matched to a person the school already has by the same name (any case) and
the same phone, or the same name and email: the mother of two siblings is one
contact.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from School.identity.models import Guardian, Guardianship
from School.identity.phones import normalise_phone
from School.identity.words import value_of
from School.validation import normalise_text

IN_FILES = 2  # guardians a file carries
PARTS = ("name", "relationship", "phone", "email")
GUARDIAN_COLUMNS = [f"guardian{n}_{part}" for n in range(1, IN_FILES + 1) for part in PARTS]
# Columns of files written before guardians had records: read as guardian 1.
OLD_COLUMNS = {"guardian_name": "guardian1_name", "guardian_phone": "guardian1_phone"}
BATCH = 1000


@dataclass(frozen=True)
class GuardianInput:
    """One guardian as a file or the API gives it, checked and normalised."""

    name: str
    relationship: str = Guardianship.Relationship.GUARDIAN
    phone: str = ""
    email: str = ""
    other_phone: str = ""
    primary_contact: bool = False
    lives_with: bool = False
    emergency_contact: bool = False


def relationship_from_text(text, language):
    known = ", ".join(Guardianship.Relationship.values)
    return value_of(text, Guardianship.Relationship, language, Guardianship.Relationship.GUARDIAN, "relationship",
                    _("unknown relationship %(value)s: use one of %(known)s").replace("%(known)s", known))


def checked_guardian(name, phone="", email="", other_phone="", region="", **flags):
    """A GuardianInput with its phones in E.164; ValidationError {part: [messages]} naming each problem."""
    problems = {}
    name = normalise_text(name or "")
    values = {}
    for part, value in (("phone", phone), ("other_phone", other_phone)):
        try:
            values[part] = normalise_phone(value, region)
        except ValidationError as error:
            problems[part] = error.messages
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError as error:
            problems["email"] = error.messages
    if not name:
        problems.setdefault("name", []).append(_("a guardian needs a name"))
    if not (phone or other_phone or email) and "phone" not in problems:
        problems.setdefault("phone", []).append(_("a guardian needs a phone or an email, to be reached"))
    if problems:
        raise ValidationError(problems)
    return GuardianInput(name=name, email=email, **values, **flags)


def has_guardian_columns(header):
    return any(column in header for column in (*GUARDIAN_COLUMNS, *OLD_COLUMNS))


def guardians_from_row(row, region, language):
    """[GuardianInput] of a file's row (empty guardians left out); ValidationError {column: [messages]}."""
    row = {OLD_COLUMNS.get(column, column): value for column, value in row.items()}
    guardians, problems = [], {}
    for n in range(1, IN_FILES + 1):
        cells = {part: (row.get(f"guardian{n}_{part}") or "").strip() for part in PARTS}
        if not any(cells.values()):
            continue
        try:
            relationship = relationship_from_text(cells["relationship"], language)
            guardians.append(checked_guardian(
                cells["name"], cells["phone"], cells["email"], region=region, relationship=relationship,
                primary_contact=not guardians))
        except ValidationError as error:
            for part, messages in error.message_dict.items():
                column = f"guardian{n}_{part}" if part in PARTS else f"guardian{n}_phone"
                problems.setdefault(column, []).extend(messages)
    if problems:
        raise ValidationError(problems)
    return guardians


def _person(wanted, known):
    """The Guardian for `wanted` (a GuardianInput): the school's own when one matches, else a new one."""
    for key in ((wanted.name.lower(), "phone", wanted.phone), (wanted.name.lower(), "email", wanted.email.lower())):
        if key[2] and key in known:
            return known[key]
    return None


def _known_people(using, wanted):
    """{(name lower, "phone"|"email", value): Guardian} of the school's guardians sharing a phone or email with `wanted`."""
    phones = {g.phone for g in wanted if g.phone}
    emails = {g.email for g in wanted if g.email}
    known = {}
    for field, values in (("phone", phones), ("email", emails)):
        if values:
            for person in Guardian.objects.using(using).filter(**{f"{field}__in": values}):
                known[(person.name.lower(), field, getattr(person, field).lower() if field == "email" else person.phone)] = person
    return known


def replace_guardians(using, pairs):
    """Give each student of `pairs` ([(student pk, [GuardianInput])]) exactly those guardians, in that order.

    A person already known to the school (same name and phone, or name and
    email) is reused and brought up to date; their other links stay.
    """
    pairs = list(pairs)
    if not pairs:
        return
    wanted = [guardian for _pk, guardians in pairs for guardian in guardians]
    known = _known_people(using, wanted)
    links = []
    for pk, guardians in pairs:
        for position, given in enumerate(guardians, start=1):
            person = _person(given, known)
            if person is None:
                person = Guardian(name=given.name, phone=given.phone, other_phone=given.other_phone, email=given.email)
                person.save(using=using)
                for field in ("phone", "email"):
                    value = getattr(person, field)
                    if value:
                        known[(person.name.lower(), field, value.lower() if field == "email" else value)] = person
            else:
                changed = {field: getattr(given, field) for field in ("other_phone", "email", "phone")
                           if getattr(given, field) and getattr(given, field) != getattr(person, field)}
                if changed:
                    Guardian.objects.using(using).filter(pk=person.pk).update(**changed)
            links.append(Guardianship(
                student_id=pk, guardian_id=person.pk, position=position, relationship=given.relationship,
                primary_contact=given.primary_contact, lives_with=given.lives_with,
                emergency_contact=given.emergency_contact))
    old = Guardianship.objects.using(using).filter(student_id__in=[pk for pk, _g in pairs])
    before = set(old.values_list("guardian_id", flat=True))
    old.delete()
    Guardianship.objects.using(using).bulk_create(links, batch_size=BATCH)
    # A person no student links to any more is no one's contact: not kept.
    linked = set(Guardianship.objects.using(using).filter(guardian_id__in=before).values_list("guardian_id", flat=True))
    if before - linked:
        Guardian.objects.using(using).filter(pk__in=before - linked).delete()


def guardians_of(using, student_pks):
    """{student pk: [(Guardianship, Guardian)]} in order: two flat queries (no join: a $lookup on MongoDB)."""
    links = list(Guardianship.objects.using(using).filter(student_id__in=list(student_pks)).order_by("student_id", "position"))
    people = Guardian.objects.using(using).in_bulk({link.guardian_id for link in links})
    found = {}
    for link in links:
        found.setdefault(link.student_id, []).append((link, people[link.guardian_id]))
    return found


def given(link, person):
    """The GuardianInput that `link` (a Guardianship) to `person` (its Guardian) records: to copy it elsewhere."""
    return GuardianInput(
        name=person.name, relationship=link.relationship, phone=person.phone, email=person.email,
        other_phone=person.other_phone, primary_contact=link.primary_contact, lives_with=link.lives_with,
        emergency_contact=link.emergency_contact)


def file_cells(using, student_pks):
    """{student pk: the texts of GUARDIAN_COLUMNS}."""
    cells = {}
    for pk, pairs in guardians_of(using, student_pks).items():
        row = []
        for link, person in pairs[:IN_FILES]:
            row += [person.name, link.relationship, person.phone, person.email]
        cells[pk] = row + [""] * (len(GUARDIAN_COLUMNS) - len(row))
    return cells
