from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "School.identity"
    label = "identity"
    verbose_name = _("Guardians")

    def ready(self):
        from School.events import students_enrolling
        from School.identity.registry import give_numbers, sync_school
        from School.platform.figures import COUNT_HOOKS

        students_enrolling.connect(give_numbers, dispatch_uid="learner-numbers")
        if sync_school not in COUNT_HOOKS:
            COUNT_HOOKS.append(sync_school)
