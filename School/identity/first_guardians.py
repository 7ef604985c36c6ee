"""Migration step: each student's guardian_name and guardian_phone become its first guardian.

Written with the ORM alone so that the MongoDB tree runs the same step. The
phone is stored in E.164, read in the school's country; a number that cannot
be read keeps its digits (and + if it had one) and is reported, for the school
to correct. Two students whose guardian has the same name and phone (siblings)
get the same Guardian: one contact.
"""

import logging
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS

from School.identity.phones import _zone_countries, normalise_phone

logger = logging.getLogger("School.migrations")
BATCH = 1000
NAMED = 10


def _region(apps, alias):
    School = apps.get_model("School", "School")
    zone = School.objects.using(DEFAULT_DB_ALIAS).filter(name=alias).values_list("time_zone", flat=True).first()
    return _zone_countries().get(zone or settings.SCHOOL_DEFAULT_TIME_ZONE, "") or settings.PHONE_DEFAULT_REGION


def _phone(text, region, unread, number):
    try:
        return normalise_phone(text, region)
    except ValidationError:
        unread.append(number)
        return re.sub(r"[^0-9+]", "", text)[:16]


def move_guardians(apps, schema_editor):
    alias = schema_editor.connection.alias
    Student = apps.get_model("School", "Student")
    Guardian = apps.get_model("identity", "Guardian")
    Guardianship = apps.get_model("identity", "Guardianship")
    region = _region(apps, alias)
    students = Student.objects.using(alias).exclude(guardian_name="", guardian_phone="")
    people, links, unread = {}, [], []
    for pk, number, name, phone in students.values_list(
            "pk", "registration_no", "guardian_name", "guardian_phone").iterator(chunk_size=BATCH):
        phone = _phone(phone, region, unread, number)
        key = (name.lower(), phone)
        if key not in people:
            people[key] = Guardian(name=name, phone=phone)
        links.append((pk, key))
    Guardian.objects.using(alias).bulk_create(people.values(), batch_size=BATCH)
    Guardianship.objects.using(alias).bulk_create(
        (Guardianship(student_id=pk, guardian_id=people[key].pk, position=1, relationship="guardian",
                      primary_contact=True) for pk, key in links),
        batch_size=BATCH,
    )
    if links:
        logger.info("%s students' guardians moved to %s guardians", len(links), len(people), extra={"school": alias})
    if unread:
        logger.warning("%s guardians' phones could not be read as numbers of %s, kept as digits: %s", len(unread),
                       region or "any country", ", ".join(unread[:NAMED]), extra={"school": alias})
