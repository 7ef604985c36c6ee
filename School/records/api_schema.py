"""What /api/students/ promises in its OpenAPI schema, kept true by validators that enforce it.

A pattern or a length in the schema is a validator here (drf-spectacular
writes a RegexValidator as the field's `pattern`), so what a client reads is
what the API checks; the rules no schema can state (a date in the future,
the date of birth after the enrolment, a registration number already used)
are in the fields' descriptions and answered with 400 naming the field.
"""

from django.core.validators import RegexValidator
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from School.validation import (
    EARLIEST_DATE,
    normalise_text,
    refuse_control_characters,
    validate_registration_no,
)


class Stated(RegexValidator):
    """A model validator with the pattern the schema states for it: the check and its message stay the model's."""

    def __init__(self, regex, check):
        super().__init__(regex)
        self.check = check

    def __call__(self, value):
        self.check(value)


def stating(validators, pattern):
    """`validators` with the model validator that `pattern` states replaced by it (one message, not two)."""
    return [*(validator for validator in validators if validator is not pattern.check), pattern]


# No control character anywhere (School.validation.CONTROL_CHARACTERS), and
# for a required text at least one character that is not a space (a blank one
# is refused before, as blank). Neither matches "": the schema states an empty
# optional text as a branch of its own, which must not overlap.
_CONTROL = r"\x00-\x08\x0e-\x1f\x7f-\x9f"
TEXT = Stated(rf"^[^{_CONTROL}]+$", refuse_control_characters)
SOME_TEXT = Stated(rf"^[^{_CONTROL}]*[^\s{_CONTROL}][^{_CONTROL}]*$", refuse_control_characters)
PATTERNS = {
    # School.validation.REGISTRATION_NO as one pattern.
    "registration_no": Stated(r"^[A-Za-z0-9][A-Za-z0-9/._-]{0,63}$", validate_registration_no),
}


class TextLine(serializers.CharField):
    """A TextLineField's value as the model will store it (School.validation.normalise_text)."""

    def __init__(self, **kwargs):
        kwargs["trim_whitespace"] = False  # normalised below, with every other kind of space
        super().__init__(**kwargs)
        self.validators = stating(self.validators, TEXT if self.allow_blank else SOME_TEXT)

    def to_internal_value(self, data):
        value = normalise_text(super().to_internal_value(data))
        if not value and not self.allow_blank:
            self.fail("blank")
        return value


DATE_RULE = f"From {EARLIEST_DATE.isoformat()}, not in the future."
TEXT_RULE = "Spaces are normalised (one between words, none at either end); control characters are refused."
STUDENT_FIELDS = {
    "registration_no": {"help_text": "Unique in the school: letters, digits and / . _ -, starting with a letter or digit."},
    **{name: {"help_text": TEXT_RULE} for name in ("first_name", "second_name")},
    "status": {"help_text": "active unless given; `transferred` is set by a transfer to another school only "
                            "(a request that sets it is refused with 400)."},
    "learner_no": {"help_text": "The platform's learner number: 10 characters of Crockford's base 32 (no I, L, O or U), "
                                "the last a Luhn mod 32 check character. Issued when the student is created; "
                                "the same at every school the child moves to."},
    "sex": {"help_text": "female, male, or an empty string when the record does not say (not recorded)."},
    "grade": {"help_text": f"The class, e.g. Form 2 or Grade 7B. {TEXT_RULE}"},
    "date_of_birth": {"help_text": f"{DATE_RULE} Before the enrolment date."},
    "enrolment_date": {"help_text": f"{DATE_RULE} Today if not given."},
}


PROBLEM = inline_serializer("Problem", {"detail": serializers.CharField()})


def _error(description):
    return OpenApiResponse(response=PROBLEM, description=description)


ERRORS = {
    400: OpenApiResponse(
        response={"type": "object", "additionalProperties": {
            "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}],
        }},
        description="The request was not accepted: each named field (or query parameter) with its problems, or "
        "`detail` when the body is not JSON. Nothing was written.",
    ),
    401: _error("No valid token or session: send `Authorization: Token <token>`."),
    403: _error("The token's user may not do this (read students, change them or delete them), or the record "
                "was transferred to another school and is read-only."),
    404: _error("No such student at this school (or no such page of the list)."),
    429: _error("Too many requests with this token: wait for the number of seconds in `Retry-After`."),
}

# action: (success status, what a user of the API reads)
OPERATIONS = {
    "list": (200, "The school's students, 50 a page, in registration-number order unless `sort` says otherwise. "
                  "`q` finds names and registration numbers starting with the text, in any case and however "
                  "its spaces are typed. An unknown `status`, `sex` or `sort` is refused with 400."),
    "create": (201, "Record a new student. Texts are stored normalised (the answer shows the stored form)."),
    "retrieve": (200, "One student, by the `id` the list gives."),
    "update": (200, "Replace a student's details (every writable field)."),
    "partial_update": (200, "Change some of a student's details."),
    "destroy": (204, "Delete a student. A record transferred to another school cannot be deleted here."),
}


def school_path_server(result, generator, request, public, **kwargs):
    """drf-spectacular hook: in path mode the API's server is /s/<name> (its paths stay /api/...); none in host mode."""
    school_path = getattr(request, "school_path", None) if request is not None else None
    if school_path:
        result["servers"] = [{"url": school_path.rstrip("/"), "description": request.school.display_name}]
    return result
