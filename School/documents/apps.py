from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "School.documents"
    label = "documents"
    verbose_name = _("Student photos and documents")

    def ready(self):
        from School.documents import signals  # noqa: F401  (a removed student's files go too)
