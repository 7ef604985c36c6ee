"""A student's guardians in /api/students/: a nested list, read and written whole.

Written: the list replaces the student's guardians (each person matched to
one the school already has, School/identity/guardians.py); left out of a
request, they stay as they are. Phones are answered in E.164 and read, when
written without +country code, as numbers of the school's country.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from School.context import current_school
from School.identity.guardians import checked_guardian, guardians_of
from School.identity.models import Guardian, Guardianship
from School.identity.phones import region_of
from School.records.api_schema import TextLine

# The rules of the list no schema can state (each item's phone is checked against the numbering plan of
# its country, and they involve each other): answered with 400, each message naming the guardian.
RULES = ("Each guardian has a name and a phone or an email. A phone is answered in E.164; written without "
         "+country code it is read in the school's country, and a number that cannot exist there is refused "
         "(\"is not a phone number that can exist\"). Exactly one guardian is the primary contact (a single "
         "guardian is, unless told). The list replaces the student's guardians; left out, they stay.")


def _flat(errors):
    """DRF's [{field: [message]}] per item (or {field: [message]} for the list) as one list of texts,
    the 400 the schema documents."""
    if isinstance(errors, dict):
        errors = [errors]
    texts = []
    for number, item in enumerate(errors, start=1):
        if not isinstance(item, dict):
            item = {"": item if isinstance(item, list) else [item]}
        for field, messages in item.items():
            for message in messages if isinstance(messages, list) else [messages]:
                texts.append(": ".join(part for part in (f"guardian {number}", str(field), str(message)) if part))
    return texts


class GuardianSerializer(serializers.Serializer):
    name = TextLine(max_length=Guardian._meta.get_field("name").max_length)
    relationship = serializers.ChoiceField(choices=Guardianship.Relationship.choices,
                                           default=Guardianship.Relationship.GUARDIAN)
    phone = serializers.CharField(required=False, allow_blank=True, default="", help_text=(
        "Answered in E.164 (+254712345678); written as dialled, read in the school's country without +country code."))
    other_phone = serializers.CharField(required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    primary_contact = serializers.BooleanField(default=False)
    lives_with = serializers.BooleanField(default=False)
    emergency_contact = serializers.BooleanField(default=False)


@extend_schema_field(GuardianSerializer(many=True))
class GuardiansField(serializers.Field):
    """The list of guardians, in order; exactly one primary contact when there are any."""

    default_error_messages = {
        "primary": "Exactly one guardian is the primary contact.",
        "not_a_list": "A list of guardians.",
    }

    def get_attribute(self, instance):
        return instance

    def to_representation(self, student):
        found = guardians_of(student._state.db, [student.pk]).get(student.pk, [])
        return [{"name": person.name, "relationship": link.relationship, "phone": person.phone,
                 "other_phone": person.other_phone, "email": person.email, "primary_contact": link.primary_contact,
                 "lives_with": link.lives_with, "emergency_contact": link.emergency_contact}
                for link, person in found]

    def __init__(self, **kwargs):
        super().__init__(help_text=RULES, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list")
        items = GuardianSerializer(data=data, many=True)
        if not items.is_valid():
            raise serializers.ValidationError(_flat(items.errors))
        region = region_of(current_school())
        guardians, problems = [], []
        for item in items.validated_data:
            try:
                guardians.append(checked_guardian(region=region, **item))
                problems.append({})
            except DjangoValidationError as error:
                problems.append(error.message_dict)
        if any(problems):
            raise serializers.ValidationError(_flat(problems))
        if guardians and sum(guardian.primary_contact for guardian in guardians) != 1:
            if not any(guardian.primary_contact for guardian in guardians) and len(guardians) == 1:
                return [guardians[0].__class__(**{**guardians[0].__dict__, "primary_contact": True})]
            self.fail("primary")
        return guardians
