from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "School.jobs"
    label = "jobs"
    verbose_name = "Jobs"
