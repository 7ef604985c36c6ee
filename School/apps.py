from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class SchoolConfig(AppConfig):
    name = "School"
    verbose_name = gettext_lazy("School records")

    def ready(self):
        from School import signals  # noqa: F401  (connects registry invalidation)
        from School.connections import install_request_connection_handling

        install_request_connection_handling()
        _admin_site_link_under_the_schools_path()


def _admin_site_link_under_the_schools_path():
    """The admin's "view site" link is the script name ("/s/nairobi", which redirects): in path mode, the school's path itself."""
    from django.contrib import admin

    each_context = admin.site.each_context

    def with_school_path(request):
        context = each_context(request)
        if getattr(request, "school_path", None):
            context["site_url"] = request.school_path
        return context

    admin.site.each_context = with_school_path
