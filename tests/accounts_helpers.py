"""Shared by the people-and-access tests: a real SMTP server on loopback, a frozen TOTP clock,
and a cookie-keeping HTTP client that follows links found in messages."""

import email
import email.policy
import re
import threading
import types
import urllib.parse
from contextlib import contextmanager

import pytest
from aiosmtpd.controller import Controller
from django_otp.oath import TOTP

from tests.conftest import free_port
from tests.test_lockouts import Browser

FROZEN = 1_800_000_000.0  # 2027-01-15: a fixed moment for every code


class Mailbox:
    """aiosmtpd handler: keeps every message it is given; `wait_for` blocks on the delivery itself."""

    def __init__(self):
        self.messages = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.messages.append(message)
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, count=1, timeout=10):
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.messages) >= count, timeout), "no message arrived"
            return self.messages[count - 1]


@pytest.fixture
def smtp(settings):
    """A real SMTP server on a free loopback port; Django's SMTP backend points at it."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "records@school.test"
    mailbox.port = controller.port
    yield mailbox
    controller.stop()


def body(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(message):
    return re.search(r"https?://\S+", body(message)).group(0)


def follow(live_server_url, url):
    """A Browser for the link's own host on the live server, and the link's path."""
    parts = urllib.parse.urlsplit(url)
    return Browser(live_server_url, parts.hostname), parts.path


@contextmanager
def frozen_clock(monkeypatch, at=FROZEN):
    """django-otp's TOTP clock stopped at `at` (its module's `time`, nothing else's)."""
    clock = types.SimpleNamespace(time=lambda: clock.now)
    clock.now = at
    monkeypatch.setattr("django_otp.plugins.otp_totp.models.time", clock)
    yield clock


def code_at(key_hex, at=FROZEN, offset_steps=0):
    totp = TOTP(bytes.fromhex(key_hex), 30, 0, 6, 0)
    totp.time = at + offset_steps * 30
    return f"{totp.token():06d}"


def csrf(page):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
