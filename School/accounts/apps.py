from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy


class AccountsConfig(AppConfig):
    name = "School.accounts"
    label = "accounts"
    verbose_name = gettext_lazy("People and access")

    def ready(self):
        from django.contrib import admin

        from School.accounts import checks, groups, kept_sign_ins  # noqa: F401  (registers the deploy check)

        # Last in INSTALLED_APPS: by now every app's permissions exist.
        post_migrate.connect(groups.ensure_groups_after_migrate, sender=self)
        # Writes to who may do what change the school's access stamp (kept sign-ins).
        kept_sign_ins.connect()
        # The admin's sign-in asks for the second factor like /accounts/login/.
        admin.site.login = _admin_sign_in


def _admin_sign_in(request, extra_context=None):
    # Imported on the first admin sign-in, not at start-up: the sign-in pulls in
    # DRF, and commands that serve no page must not pay for it (bench/startup.py).
    from School.accounts.sign_in import admin_sign_in

    return admin_sign_in(request, extra_context)
