"""The columns of the student rows that tests write by hand.

An import reads any of the file's columns, in any order; these are the ones
the hand-written rows carry, so those files stay valid as the export gains
columns (sex, guardians, classes).
"""

ROW_COLUMNS = [
    "registration_no", "first_name", "second_name", "date_of_birth", "grade", "enrolment_date", "status",
    "guardian_name", "guardian_phone",
]

# The admin's student form posts its guardians' inline formset too: none here.
NO_GUARDIANS_FORM = {"guardianships-TOTAL_FORMS": "0", "guardianships-INITIAL_FORMS": "0",
                     "guardianships-MIN_NUM_FORMS": "0", "guardianships-MAX_NUM_FORMS": "1000"}


def give_guardian(school, registration_no, name, phone="", email="", **flags):
    """Record one guardian (the primary contact) for a student of `school`; phones in international form."""
    from School.context import tenant_context
    from School.identity.guardians import checked_guardian, replace_guardians
    from School.models import Student

    with tenant_context(school):
        pk = Student.objects.get(registration_no=registration_no).pk
        replace_guardians(school, [(pk, [checked_guardian(name, phone, email, primary_contact=True, **flags)])])


def set_time_zone(name, zone):
    """Give school `name` a time zone (and so a country for phones), seen by this process at once."""
    from django.db import DEFAULT_DB_ALIAS

    from School.models import School

    row = School.objects.using(DEFAULT_DB_ALIAS).get(name=name)
    row.time_zone = zone
    row.save()  # the registry's change log: this process forgets the school at once
