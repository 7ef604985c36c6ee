from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy


class AccountsConfig(AppConfig):
    name = "School.accounts"
    label = "accounts"
    verbose_name = gettext_lazy("People and access")

    def ready(self):
        from django.contrib import admin

        from School.accounts import checks, groups  # noqa: F401  (registers the deploy check)
        from School.accounts.sign_in import admin_sign_in

        # Last in INSTALLED_APPS: by now every app's permissions exist.
        post_migrate.connect(groups.ensure_groups_after_migrate, sender=self)
        # The admin's sign-in asks for the second factor like /accounts/login/.
        admin.site.login = admin_sign_in
