"""The platform's mail settings, read once from the environment.

EMAIL_URL says it in one line, as most hosts and PaaS hand it out:

    smtp://user:password@mail.example.net:587     plain SMTP (STARTTLS with smtp+tls://)
    smtps://user:password@mail.example.net:465    SMTP over TLS
    console:                                      print messages (development)

Without EMAIL_URL, Django's own EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER,
EMAIL_HOST_PASSWORD, EMAIL_USE_TLS and EMAIL_USE_SSL variables are read; with
none of them a development machine prints messages on the console, and
production sends to the local mail server (localhost:25), Django's default.
"""

from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE_BACKEND = "django.core.mail.backends.console.EmailBackend"
SCHEMES = {"smtp": (False, False), "smtp+tls": (True, False), "submission": (True, False), "smtps": (False, True)}
PLAIN_VARIABLES = ("EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS", "EMAIL_USE_SSL")


def _flag(value):
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def parse_email_url(url):
    """Django settings for one EMAIL_URL."""
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": CONSOLE_BACKEND}
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ImproperlyConfigured(
            "EMAIL_URL must look like smtp://user:password@host:port (or smtp+tls://, smtps://, console:)"
        )
    use_tls, use_ssl = SCHEMES[parts.scheme]
    options = parse_qs(parts.query)
    use_tls = use_tls or _flag(options.get("tls", ["0"])[0])
    use_ssl = use_ssl or _flag(options.get("ssl", ["0"])[0])
    return {
        "EMAIL_BACKEND": SMTP_BACKEND,
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": parts.port or (465 if use_ssl else 587 if use_tls else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
    }


def email_settings(environ, production):
    """EMAIL_* settings for settings.py; a slow mail server never holds a request for long."""
    found = {"EMAIL_TIMEOUT": float(environ.get("EMAIL_TIMEOUT", "10"))}
    if environ.get("DEFAULT_FROM_EMAIL"):
        found["DEFAULT_FROM_EMAIL"] = found["SERVER_EMAIL"] = environ["DEFAULT_FROM_EMAIL"]
    if environ.get("EMAIL_URL"):
        return {**found, **parse_email_url(environ["EMAIL_URL"])}
    plain = {name: environ[name] for name in PLAIN_VARIABLES if environ.get(name)}
    if not plain:
        return {**found, "EMAIL_BACKEND": SMTP_BACKEND if production else CONSOLE_BACKEND}
    if "EMAIL_PORT" in plain:
        plain["EMAIL_PORT"] = int(plain["EMAIL_PORT"])
    for name in ("EMAIL_USE_TLS", "EMAIL_USE_SSL"):
        if name in plain:
            plain[name] = _flag(plain[name])
    return {**found, **plain, "EMAIL_BACKEND": SMTP_BACKEND}
