from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchoolYearConfig(AppConfig):
    name = "School.school_year"
    label = "school_year"
    verbose_name = _("School year")
