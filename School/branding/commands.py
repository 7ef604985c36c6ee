"""`schools set NAME [--logo FILE] [--colours PRIMARY,ACCENT] [--welcome [LANG=]TEXT]`: the page's changes, from the command line."""

import re

from django.conf import settings

from School.branding.colours import check_pair
from School.branding.logo import read_logo_file
from School.branding.refusals import BrandingRefused
from School.branding.service import DEFAULT_COLOURS, NO_LOGO, check_welcome

LANGUAGE_PREFIX = re.compile(r"([a-z]{2}(?:-[a-z]+)?)=(.*)", re.DOTALL)


def add_branding_arguments(parser):
    parser.add_argument("--logo", metavar="FILE", help=f"the school's logo: a JPEG, PNG or WebP image (never SVG); {NO_LOGO!r} removes it")
    parser.add_argument("--colours", metavar="PRIMARY,ACCENT",
                        help=f"the header's background and text as #rrggbb,#rrggbb (contrast at least 4.5:1); {DEFAULT_COLOURS!r}: the platform's")
    parser.add_argument("--welcome", metavar="[LANG=]TEXT", action="append", default=[],
                        help="the sign-in page's welcome in the school's language, or in LANG (repeat for each); empty removes it")


def branding_change(options, school_language):
    """set_branding()'s arguments from the options, every one checked (BrandingRefused); {} if none was given."""
    change = {}
    if options.get("logo"):
        change["logo"] = NO_LOGO if options["logo"] == NO_LOGO else read_logo_file(options["logo"])
    if options.get("colours"):
        if options["colours"] == DEFAULT_COLOURS:
            change["colours"] = DEFAULT_COLOURS
        else:
            parts = options["colours"].split(",")
            if len(parts) != 2:
                raise BrandingRefused(f"--colours takes two colours, PRIMARY,ACCENT (e.g. #1a5e20,#ffffff), not {options['colours']!r}")
            change["colours"] = check_pair(*parts)
    welcome = {}
    for given in options.get("welcome") or []:
        found = LANGUAGE_PREFIX.fullmatch(given)
        if found and found.group(1) in dict(settings.LANGUAGES):
            welcome[found.group(1)] = found.group(2)
        else:
            welcome[school_language or settings.LANGUAGE_CODE] = given
    if welcome:
        change["welcome"] = check_welcome(welcome)
    return change
