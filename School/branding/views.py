"""The branding page of a school admin, and the logo and colours every page of the school links to.

The logo and the stylesheet are read from the school of the request's host
(its own database, through the kept Look): another school's digest is a 404
here, and nothing of a school's branding lies in a folder anyone could list.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from School.branding import looks, service
from School.branding.logo import clean_logo
from School.branding.models import KEY, Branding
from School.branding.refusals import BrandingRefused

CHANGE_BRANDING = "branding.change_branding"
FOR_GOOD = "max-age=31536000, immutable"
# The colours decide every header: the school's name and links in the accent on the primary.
STYLE = """\
.masthead, #header {{ background: {primary}; color: {accent}; }}
.masthead .brand, .admin-link, .admin-link a, .sign-out button,
#header a:link, #header a:visited, #site-name a:link, #site-name a:visited, #user-tools, #user-tools a, #user-tools button {{ color: {accent}; }}
"""


@require_http_methods(["GET", "POST"])
def branding_page(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not (request.user.is_staff and request.user.has_perm(CHANGE_BRANDING)):
        raise PermissionDenied(_("You may not change this school's branding."))
    alias = request.school.alias
    error, status = None, 200
    if request.method == "POST":
        try:
            changed = service.set_branding(alias, **_change_asked(request))
        except BrandingRefused as refusal:
            error, status = str(refusal), 400
        else:
            messages.success(request, _("The branding was saved.") if changed else _("Nothing was changed."))
            return redirect("branding")
    branding = Branding.objects.using(alias).filter(key=KEY).first() or Branding()
    context = {
        "branding_row": branding,
        "error": error,
        "welcomes": [(code, name, branding.welcome.get(code, "")) for code, name in settings.LANGUAGES],
        "posted": request.POST if error else None,
    }
    return render(request, "branding/branding.html", context, status=status)


def _change_asked(request):
    """set_branding()'s arguments from the page's form (what the person left alone is not passed)."""
    asked = {"welcome": {code: request.POST.get(f"welcome_{code}", "") for code, _name in settings.LANGUAGES}}
    if request.POST.get("platform_colours"):
        asked["colours"] = service.DEFAULT_COLOURS
    elif request.POST.get("primary") or request.POST.get("accent"):
        asked["colours"] = (request.POST.get("primary", ""), request.POST.get("accent", ""))
    upload = request.FILES.get("logo")
    if request.POST.get("remove_logo"):
        asked["logo"] = service.NO_LOGO
    elif upload is not None:
        asked["logo"] = clean_logo(upload, upload.name, upload.size)
    return asked


def style(request, version):
    look = looks.look_of(request.school)
    if not look.stylesheet:
        raise Http404(_("This school keeps the platform's colours."))
    response = HttpResponse(STYLE.format(primary=look.primary, accent=look.accent), content_type="text/css; charset=utf-8")
    # An old version's address answers the current colours, but only for a moment.
    response["Cache-Control"] = FOR_GOOD if look.stylesheet.endswith(f"/{version}.css") else "max-age=60"
    return response


def logo(request, digest, extension):
    look = looks.look_of(request.school)
    if digest != look.logo_digest:
        raise Http404(_("No such logo at this school."))
    row = next(iter(Branding.objects.using(request.school.alias).filter(key=KEY, logo_digest=digest).values_list("logo", "logo_type")[:1]), None)
    if row is None:
        raise Http404(_("No such logo at this school."))
    response = HttpResponse(bytes(row[0]), content_type=row[1])
    response["Cache-Control"] = FOR_GOOD
    response["X-Content-Type-Options"] = "nosniff"
    return response
