"""Student records: every validation rule has a failing example."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from School.context import tenant_context
from School.models import Student
from School.validation import today

TOMORROW = today() + datetime.timedelta(days=1)


def student(**fields):
    values = {"registration_no": "NBI/2025/001", "first_name": "Wanjiru", "second_name": "Kamau", **fields}
    return Student(**values)


def errors_of(record):
    with pytest.raises(ValidationError) as raised:
        record.full_clean()
    return raised.value.message_dict


def test_a_complete_record_is_valid(three_schools):
    with tenant_context("nairobi"):
        record = student(
            date_of_birth=datetime.date(2010, 5, 17), grade="Form 2", status="active",
        )
        record.full_clean()
        record.save()
        assert Student.objects.get(registration_no="NBI/2025/001").enrolment_date == today()


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"first_name": ""}, "first_name", "cannot be blank"),
        ({"second_name": ""}, "second_name", "cannot be blank"),
        ({"registration_no": ""}, "registration_no", "cannot be blank"),
        ({"registration_no": "NBI 001"}, "registration_no", "Use letters, digits"),
        ({"registration_no": "/001"}, "registration_no", "Use letters, digits"),
        ({"date_of_birth": TOMORROW}, "date_of_birth", "is in the future"),
        ({"enrolment_date": TOMORROW}, "enrolment_date", "is in the future"),
        ({"date_of_birth": datetime.date(2020, 1, 2), "enrolment_date": datetime.date(2020, 1, 1)}, "date_of_birth", "before the enrolment date"),
        ({"status": "expelled"}, "status", "is not a valid choice"),
    ],
)
def test_each_rule_rejects_a_bad_value_with_a_clear_message(three_schools, fields, field, message):
    with tenant_context("nairobi"):
        errors = errors_of(student(**fields))
    assert any(message in text for text in errors[field]), errors


def test_registration_number_is_unique_within_a_school_only(three_schools):
    with tenant_context("nairobi"):
        student().save()
        assert "already exists" in errors_of(student())["registration_no"][0]
    with tenant_context("accra"):
        student().full_clean()  # the same number is free at another school
