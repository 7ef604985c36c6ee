from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class LocaleConfig(AppConfig):
    name = "School.locale"
    # Not "locale": too generic a label to own in a project with many apps.
    label = "school_locale"
    verbose_name = gettext_lazy("Languages")

    def ready(self):
        from School.locale import preferences  # noqa: F401  (connects the sign-in signal)
