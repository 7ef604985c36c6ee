"""The Jinja2 environment of the hot page, with Django's translations installed.

`{% trans %}`, `_()` and `ngettext()` then use the catalogues of locale/ and
the language School.middleware activated, as Django templates do.
"""

from django.utils import translation
from jinja2 import Environment


def environment(**options):
    extensions = [*options.pop("extensions", []), "jinja2.ext.i18n"]
    env = Environment(extensions=extensions, **options)
    # newstyle: translated text is autoescaped, and %(name)s is filled by Jinja.
    env.install_gettext_translations(translation, newstyle=True)
    return env
