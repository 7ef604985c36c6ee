"""The register settings page (issue 35): a School admin's, with the checks `register_settings` applies, in the
school's language; anyone else is refused and nothing changes."""

import pytest

from School.context import current_alias, tenant_context
from School.register import configure
from tests.people_helpers import signed_in
from tests.register_world import register_school

GOOD = {"sessions": "two", "weekdays": ["1", "2", "3", "4", "5", "6"], "follow_up_below": "85", "absence_mails": "on",
        "add_reasons": "Harvest\n\n  Market   day \n"}


@pytest.fixture
def people(platform):
    return register_school(platform)


def settings_now():
    with tenant_context("nairobi"):
        return configure.shown(current_alias())


def test_a_school_admin_changes_the_register_settings_on_the_page(people):
    admin = signed_in("nairobi.localhost", "amina")
    page = admin.get("/register/settings/")
    assert page.status_code == 200 and 'id="register-settings"' in page.content.decode()
    saved = admin.post("/register/settings/", GOOD, follow=True)
    assert "The register settings were saved." in saved.content.decode()
    now = settings_now()
    assert (now["sessions"], now["weekdays"], now["follow_up_below"], now["absence_mails"]) == (["am", "pm"], "123456", 85, True)
    assert {"Harvest", "Market day"} <= set(now["reasons"])
    off = admin.post("/register/settings/", {**GOOD, "absence_mails": "", "sessions": "one", "add_reasons": ""})
    assert off.status_code == 302 and not settings_now()["absence_mails"] and settings_now()["sessions"] == ["day"]


@pytest.mark.parametrize("change, message", [
    ({"weekdays": []}, "School days: at least one of the ISO digits"),
    ({"follow_up_below": "101"}, "Follow-up below: a percentage from 1 to 100, not 101."),
    ({"follow_up_below": "ninety"}, "Follow-up below: a percentage from 1 to 100, not ninety."),
    ({"sessions": "three"}, "Registers a day: one, or two"),
    ({"add_reasons": "x" * 61}, "A reason is 1 to 60 characters."),
])
def test_bad_settings_are_one_message_and_change_nothing(people, change, message):
    before = settings_now()
    answer = signed_in("nairobi.localhost", "amina").post("/register/settings/", {**GOOD, **change})
    assert answer.status_code == 400 and message in answer.content.decode()
    assert settings_now() == before


def test_the_page_speaks_the_schools_language_and_refuses_the_others(people):
    from tests.test_locale import set_locale

    set_locale("nairobi", language="fr")
    page = signed_in("nairobi.localhost", "amina").get("/register/settings/").content.decode()
    assert "<h1>Réglages du registre d'appel</h1>" in page and "mardi" in page
    for username in ("wanjiru", "mwalimu", "otieno"):
        client = signed_in("nairobi.localhost", username)
        assert client.post("/register/settings/", GOOD).status_code == 403
    assert settings_now()["absence_mails"] is False
