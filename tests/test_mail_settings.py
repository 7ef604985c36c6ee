"""The platform's mail settings from the environment (multitenant/mail.py)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from multitenant.mail import CONSOLE_BACKEND, SMTP_BACKEND, email_settings, parse_email_url


@pytest.mark.parametrize(
    "url, expected",
    [
        ("smtp://mailer:p%40ss@mail.example.net:2525", {"EMAIL_HOST": "mail.example.net", "EMAIL_PORT": 2525, "EMAIL_HOST_USER": "mailer", "EMAIL_HOST_PASSWORD": "p@ss", "EMAIL_USE_TLS": False, "EMAIL_USE_SSL": False}),
        ("smtp+tls://u:p@mail.example.net", {"EMAIL_PORT": 587, "EMAIL_USE_TLS": True, "EMAIL_USE_SSL": False}),
        ("smtp://u:p@mail.example.net:587?tls=1", {"EMAIL_PORT": 587, "EMAIL_USE_TLS": True}),
        ("smtps://u:p@mail.example.net", {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True, "EMAIL_USE_TLS": False}),
        ("smtp://localhost", {"EMAIL_PORT": 25, "EMAIL_HOST_USER": "", "EMAIL_HOST_PASSWORD": ""}),
    ],
)
def test_email_url_says_it_in_one_line(url, expected):
    parsed = parse_email_url(url)
    assert parsed["EMAIL_BACKEND"] == SMTP_BACKEND
    assert {name: parsed[name] for name in expected} == expected


@pytest.mark.parametrize("url", ["http://mail.example.net", "smtp://", "mail.example.net:25"])
def test_a_bad_email_url_is_refused_with_its_shape(url):
    with pytest.raises(ImproperlyConfigured, match="smtp://user:password@host:port"):
        parse_email_url(url)


def test_without_email_url_djangos_variables_or_the_defaults():
    assert email_settings({}, production=False)["EMAIL_BACKEND"] == CONSOLE_BACKEND
    assert email_settings({}, production=True)["EMAIL_BACKEND"] == SMTP_BACKEND
    plain = email_settings({"EMAIL_HOST": "relay", "EMAIL_PORT": "2525", "EMAIL_USE_TLS": "yes", "DEFAULT_FROM_EMAIL": "office@school.test"}, False)
    assert (plain["EMAIL_HOST"], plain["EMAIL_PORT"], plain["EMAIL_USE_TLS"], plain["DEFAULT_FROM_EMAIL"]) == ("relay", 2525, True, "office@school.test")
    assert email_settings({"EMAIL_URL": "console:"}, True)["EMAIL_BACKEND"] == CONSOLE_BACKEND
