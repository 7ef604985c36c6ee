"""`check --deploy`: production without a required second factor is allowed, never silent."""

from django.conf import settings
from django.core import checks

RELAXED = checks.Warning(
    "SECOND_FACTOR_REQUIRED is off in production: a stolen password is enough to read students' records.",
    hint="Unset SECOND_FACTOR_REQUIRED (or set it to 1) unless this deployment has another second factor in front.",
    id="accounts.W001",
)


@checks.register(checks.Tags.security, deploy=True)
def second_factor_required(app_configs, **kwargs):
    if settings.PRODUCTION and not settings.SECOND_FACTOR_REQUIRED:
        return [RELAXED]
    return []
