from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class SchoolConfig(AppConfig):
    name = "School"
    verbose_name = gettext_lazy("School records")

    def ready(self):
        from School import signals  # noqa: F401  (connects registry invalidation)
        from School.connections import install_request_connection_handling

        install_request_connection_handling()
