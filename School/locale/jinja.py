"""The Jinja2 environment of the hot page, with Django's translations installed.

`{% trans %}`, `_()` and `ngettext()` then use the catalogues of locale/ and
the language School.middleware activated, as Django templates do.

A template is compiled once per language: `{{ _("a literal") }}` (and
`{{ pgettext("context", "a literal") }}`) becomes
that literal's translation in the compiled template (FoldTranslations), so a
page does not call gettext for each of its fixed texts on every request (the
profile of the student table put a third of its rendering there). Texts with
variables or plurals are still translated when rendered.
"""

from django.utils import translation
from jinja2 import Environment as BaseEnvironment
from jinja2.ext import Extension
from jinja2.lexer import Token


class FoldTranslations(Extension):
    """Replaces `{{ _("literal") }}` and `{{ pgettext("context", "literal") }}` by the translation in the environment's `folded_language`.

    The same output as the i18n extension's newstyle gettext gives at render
    time: the translation is not escaped (it is ours, not user input) and
    goes through `%` with no variables, which turns `%%` into `%`.
    """

    # The calls folded: the token types of their arguments, and the function that translates them.
    CALLS = {
        "_": (("string",), translation.gettext),
        "pgettext": (("string", "comma", "string"), translation.pgettext),
    }

    def _folded(self, window):
        """(the translation, tokens used) of a call of literals starting `window`, or None."""
        call = self.CALLS.get(window[1].value) if len(window) > 1 else None
        if call is None:
            return None
        arguments, translate = call
        pattern = ("variable_begin", "name", "lparen", *arguments, "rparen", "variable_end")
        if tuple(token.type for token in window[:len(pattern)]) != pattern:
            return None
        with translation.override(self.environment.folded_language):
            text = translate(*(token.value for token in window[3:3 + len(arguments)] if token.type == "string")) % {}
        return text, len(pattern)

    def filter_stream(self, stream):
        tokens = list(stream)
        index = 0
        while index < len(tokens):
            folded = self._folded(tokens[index:index + 8])
            if folded is not None:
                text, used = folded
                yield Token(tokens[index].lineno, "data", text)
                index += used
            else:
                yield tokens[index]
                index += 1


class Environment(BaseEnvironment):
    """Hands out each template compiled for the active language (an overlay per language)."""

    folded_language = None  # set on the per-language overlays

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.per_language = {}

    def for_language(self, language):
        overlay = self.per_language.get(language)
        if overlay is None:
            # A cache of its own: a copy of this one could hold templates compiled unfolded.
            capacity = 0 if self.cache is None else getattr(self.cache, "capacity", -1)
            overlay = self.overlay(extensions=[FoldTranslations], cache_size=capacity)
            overlay.folded_language = language
            self.per_language[language] = overlay
        return overlay

    def get_template(self, name, parent=None, globals=None):
        language = translation.get_language()
        if self.folded_language is None and language:
            return self.for_language(language).get_template(name, parent, globals)
        return super().get_template(name, parent, globals)


def environment(**options):
    extensions = [*options.pop("extensions", []), "jinja2.ext.i18n"]
    env = Environment(extensions=extensions, **options)
    # newstyle: translated text is autoescaped, and %(name)s is filled by Jinja.
    env.install_gettext_translations(translation, newstyle=True)
    return env
