import functools

from School.branding.looks import look_of

from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.safestring import SafeString


def current_school(request):
    """The school of the request (a SchoolInfo) as `school` in every template."""
    return {"school": getattr(request, "school", None)}


class Links(dict):
    """URLs read as keys (Django templates) or as attributes (Jinja2).

    Jinja2's `links.admin` asks for an attribute first and only then for a
    key: on a plain dict every link cost a failed look-up and its exception
    (a signed-in staff member's header draws ten links).
    """

    def __init__(self, urls):
        super().__init__(urls)
        self.__dict__.update(urls)


# One entry in host mode ("/"); in path mode one per school's /s/<name>/ a worker serves.
@functools.lru_cache(maxsize=1024)
def _layout_links(script_prefix):
    return Links({
        "stylesheet": static("School/app.css"),
        "index": reverse("index"),
        "classes": reverse("classes"),
        "class_list": reverse("class-list"),
        "import": reverse("student-import"),
        "jobs": reverse("jobs"),
        "export_csv": reverse("student-export"),
        "export_xlsx": reverse("student-export-xlsx"),
        "admin": reverse("admin:index"),
        "language": reverse("language"),
        "export": reverse("student-export-page"),
        "sign_out": reverse("sign-out"),
        # The register's pages' links (templates/register/nav.html, read by both engines too).
        "register": reverse("register"),
        "register_sheet": reverse("register-sheet"),
        "register_today": reverse("register-today"),
        "register_settings": reverse("register-settings"),
        "register_groups": reverse("register-groups"),
        "staff": StaffLinks(script_prefix),
    })


class StaffLinks:
    """The masthead's links for staff (templates/School/staff_links.html), drawn once per script prefix and language.

    Every page a staff member opens shows them: seven links, each an
    attribute look-up and an escape at each request, were a fifth of what a
    registrar's student table costs beyond an anonymous one (issue 31). They
    depend on nothing else; both template engines read `{{ links.staff }}`
    as safe HTML (__html__, and a SafeString from str()).
    """

    __slots__ = ("script_prefix",)

    def __init__(self, script_prefix):
        self.script_prefix = script_prefix

    def __html__(self):
        return _staff_links(self.script_prefix, translation.get_language())

    __str__ = __html__


@functools.lru_cache(maxsize=1024)
def _staff_links(script_prefix, language):
    with translation.override(language):
        html = render_to_string("School/staff_links.html", {"links": _layout_links(script_prefix)}, using="jinja2")
    return SafeString(html)


def layout_links(request):
    """The layout's links as `links`: base.html is shared by the Django and Jinja2 engines,
    so it takes URLs from here, not from either engine's own tags. Reversed once per process."""
    return {"links": _layout_links(get_script_prefix())}


def branding(request):
    """The school's look (School/branding/looks.py) as `branding`: kept per worker, no query per request."""
    return {"branding": look_of(getattr(request, "school", None))}
