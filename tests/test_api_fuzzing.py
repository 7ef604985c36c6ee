"""Schemathesis against one school's OpenAPI schema, over real HTTP, with every check.

Valid requests (by the schema) are accepted, invalid ones refused with a 4xx,
every answer's status, content type, headers and body are as documented, no
5xx, and no other school's data in any response. Seeded and bounded: the
same requests on every run.
"""

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from School.context import tenant_context
from School.security.tokens import create_token

EXAMPLES_PER_OPERATION = 25
OTHER_SCHOOLS = ("ACC-", "DEF-", "Accra", "Default School")
# The rules no schema can state: they depend on today, on another field or on
# the school's other records, and each field's description names them.
STATEFUL_RULES = ("is in the future", "must be before the enrolment date", "already exists", "is before 1900-01-01",
                  # The school year's (School/school_year/api.py): names of the school's years, grades, classes, users.
                  "is not a year of this school", "does not exist", "has enrolments", "is not a class of this enrolment",
                  "is a class of another grade",
                  # A status only a transfer sets (School/transfers/records.py): the schema lists it, since a transferred
                  # student's record is read, and may be written back, with it; entering it through the API is refused.
                  "is set by a transfer to another school only",
                  # The register's (School/register/service.py): the school's calendar, classes and students.
                  "the school has no current year", "there is no class", "is not in the current year", "is closed on",
                  "not a school day", "not in this class", "this school takes", "corrected with a reason",
                  "belongs to year", "is not in the school's list", "goes with an excused absence", "is not a date",
                  "is named twice",
                  # A guardian's phone against its country's numbering plan, and the rules across guardians.
                  "is not a phone number that can exist", "needs a phone or an email", "is the primary contact")


def school_schema(host):
    raw = Client(HTTP_HOST=host).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    return schemathesis.openapi.from_dict(raw.json())


def refused_only_for_stateful_rules(case, response):
    """A valid request answered 400 only for a rule the schema cannot express."""
    if response.status_code != 400 or not case.meta.generation.mode.is_positive:
        return
    messages = [message for problems in response.json().values() for message in ([problems] if isinstance(problems, str) else problems)]
    assert messages and all(any(rule in message for rule in STATEFUL_RULES) for message in messages), (
        case.method, case.formatted_path, case.body, messages
    )


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_fuzzed_api_requests_get_documented_answers(three_schools, live_server_url, mode):
    with tenant_context("nairobi"):
        token, _ = create_token(get_user_model().objects.create_superuser("fuzzer", ""))
    schema = school_schema("nairobi.localhost")
    port = live_server_url.rsplit(":", 1)[1]
    headers = {"Host": f"nairobi.localhost:{port}", "Authorization": f"Token {token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {operation.method.upper() for operation in operations} >= {"GET", "POST", "PUT", "PATCH", "DELETE"}
    problems = []

    for operation in operations:

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case):
            response = case.call(base_url=live_server_url, headers=headers)
            # Collected, not raised: a request's answer depends on the ones
            # before it (a number already used), which hypothesis would call flaky.
            try:
                # Every check schemathesis has; valid data's 400 is judged just below.
                case.validate_response(response, excluded_checks=[positive_data_acceptance], headers=headers)
                refused_only_for_stateful_rules(case, response)
            except Exception as error:  # schemathesis's failures, and our assertion
                problems.append((case.method, case.formatted_path, case.query, case.body, response.status_code, str(error)[:800]))
            leaked = [marker for marker in OTHER_SCHOOLS if marker in response.text]
            if leaked:
                problems.append((case.method, case.formatted_path, leaked))

        try:
            fuzz()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # e.g. a DELETE by id: no request breaks its schema
    assert problems == [], "\n".join(map(str, problems))
