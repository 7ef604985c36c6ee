"""Colours as #rrggbb, and the contrast WCAG 2 asks of text (AA: 4.5:1 for ordinary text).

In the header of every page the school's name and links are written in the
accent colour on the primary one: a pair under AA is refused, with its ratio.
"""

import re

from django.utils.translation import gettext as _

from School.branding.refusals import BrandingRefused

HEX = re.compile(r"#[0-9a-f]{6}")
AA_TEXT = 4.5


def parse_colour(text):
    """'#1A5E20' -> '#1a5e20'; BrandingRefused for anything else."""
    colour = str(text).strip().lower()
    if not HEX.fullmatch(colour):
        raise BrandingRefused(_("%(colour)s is not a colour: write it as #rrggbb, for example #1a5e20.") % {"colour": text})
    return colour


def luminance(colour):
    """WCAG 2's relative luminance of a #rrggbb colour."""
    def channel(byte):
        value = byte / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first, second):
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def check_pair(primary, accent):
    """(primary, accent) parsed; BrandingRefused, with the ratio, when the accent cannot be read on the primary."""
    primary, accent = parse_colour(primary), parse_colour(accent)
    ratio = contrast(primary, accent)
    # Rounded down: 4.49 must not be shown as the 4.5 it fails to reach.
    if ratio < AA_TEXT:
        raise BrandingRefused(
            _("Text in %(accent)s on %(primary)s has a contrast of %(ratio)s:1, under the 4.5:1 that WCAG AA asks "
              "for text: choose a darker or a lighter colour.")
            % {"accent": accent, "primary": primary, "ratio": f"{int(ratio * 100) / 100:.2f}"}
        )
    return primary, accent
