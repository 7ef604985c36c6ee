from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "School.security"
    label = "security"
    verbose_name = "Security"
