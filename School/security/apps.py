from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class SecurityConfig(AppConfig):
    name = "School.security"
    label = "security"
    verbose_name = gettext_lazy("Security")
