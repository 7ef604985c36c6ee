from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class SchoolYearConfig(AppConfig):
    name = "School.school_year"
    label = "school_year"
    verbose_name = _("School year")

    def ready(self):
        from School.school_year.models import ClosedDay, SchoolYear
        from School.school_year.stamp import year_changed

        post_save.connect(year_changed, sender=SchoolYear, dispatch_uid="school_year_stamp_save")
        post_delete.connect(year_changed, sender=SchoolYear, dispatch_uid="school_year_stamp_delete")
        # A closed day written one by one (the admin, a test) is a change to the calendar the class sheet reads.
        post_save.connect(year_changed, sender=ClosedDay, dispatch_uid="school_year_stamp_closed_save")
        post_delete.connect(year_changed, sender=ClosedDay, dispatch_uid="school_year_stamp_closed_delete")
