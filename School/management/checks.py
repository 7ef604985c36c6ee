"""The system checks our operations commands run before they start.

Django runs every check before a command, and four kinds import the whole
web side: the URL check imports every view (DRF, drf-spectacular, openpyxl);
the admin's check of its dependencies builds the template engines, which
import every app's template tags (DRF's pull in its optional dependencies:
requests, yaml, ...); the template check builds the Jinja2 engine; and DRF's
pagination check (tagged "compatibility") imports DRF's serializers.
Together they were most of the second an operator paid for `schools list`. Commands that serve no page run every
other check; `check`, `migrate`, `runserver`/`up` still run them all.
"""

from django.core.checks import Tags, registry

PAGE_CHECKS = {Tags.urls, Tags.admin, Tags.templates, Tags.compatibility}


def all_but_page_checks():
    return sorted(registry.registry.tags_available() - PAGE_CHECKS)
