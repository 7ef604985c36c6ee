from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "School.platform"
    label = "platform"
    verbose_name = "Platform"

    def ready(self):
        from School.platform import follow

        follow.connect()
