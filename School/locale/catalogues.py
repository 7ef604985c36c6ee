"""The translation catalogues of locale/: extracted, merged and compiled with Babel, no GNU gettext.

Sources: our Python code (School/, multitenant/; not migrations or tests),
Django templates of pages (.html) and mail (.txt), read through Django's own
`templatize` as makemessages does, and Jinja2 templates (first line starting
with `{# Jinja2`, read by Jinja's Babel extractor). `base.html`, read by both engines, holds only
`{{ _("...") }}`, which both extractors see alike.

Every language of settings.LANGUAGES but English (the source language) has
locale/<lang>/LC_MESSAGES/django.po, and the compiled django.mo beside it is
committed: a fresh machine needs no msgfmt. `python manage.py translations`
runs all of this; the test suite checks that the .mo files match the .po
files and that every string is extracted and translated.

Two things are done here so that no translator has to: French gets its
non-breaking spaces (`typeset`), and every catalogue is held to the glossary
of locale/glossary.csv (School/locale/glossary.py) and to its language's
quotation marks.
"""

import io
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract, extract_python
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from django.conf import settings
from django.utils.translation.template import templatize
from jinja2.ext import babel_extract

from School.locale import glossary

ROOT = Path(settings.BASE_DIR)
LOCALE_DIR = ROOT / "locale"
TEMPLATE_FILE = LOCALE_DIR / "django.pot"
GLOSSARY_FILE = LOCALE_DIR / "glossary.csv"
PYTHON_ROOTS = ("School", "multitenant")
TEMPLATE_ROOTS = ("templates", "School")
TEMPLATE_SUFFIXES = (".html", ".txt")  # pages, and the subjects and bodies of mail
SKIPPED_PARTS = {"migrations", "tests", "__pycache__", "formats"}
JINJA_MARK = "{# Jinja2"
KEYWORDS = {
    "_": None, "gettext": None, "gettext_lazy": None, "gettext_noop": None,
    "ngettext": (1, 2), "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2), "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3), "npgettext_lazy": ((1, "c"), 2, 3),
}
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}
# gettext's classic two forms (CLDR, Babel's default, gives French and
# Portuguese a third form for millions that translators rarely fill).
PLURAL_FORMS = {"fr": (2, "(n > 1)"), "pt": (2, "(n != 1)"), "sw": (2, "(n != 1)")}
# French sets ; ? ! apart by a narrow space and : and the inside of « » by a word space, neither of which may
# break: with ordinary spaces a browser can wrap "oublié ?" with the "?" alone at the start of the next line.
# Only an existing space is changed (never "?next=" or "a:b"); « and » always get theirs.
NARROW_NBSP, NBSP = "\u202f", "\u00a0"
TYPOGRAPHY = {"fr": [
    (re.compile(r"[ \u00a0\u202f]+([;?!])"), NARROW_NBSP + r"\1"),
    (re.compile(r"[ \u00a0\u202f]+:"), NBSP + ":"),
    (re.compile(r"«[ \u00a0\u202f]*"), "«" + NBSP),
    (re.compile(r"[ \u00a0\u202f]*»"), NBSP + "»"),
]}
# One kind of quotation marks a language, those its readers expect (Portuguese as in Mozambique and Portugal).
FOREIGN_QUOTES = {"fr": "“”", "pt": "“”", "sw": "«»"}


def translated_languages():
    return [code for code, _name in settings.LANGUAGES if code != "en"]


def po_path(language):
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def _sources(roots, suffix):
    for root in roots:
        for path in sorted((ROOT / root).rglob(f"*{suffix}")):
            if not SKIPPED_PARTS.intersection(path.relative_to(ROOT).parts):
                yield path


def _django_template(fileobj, keywords, comment_tags, options):
    source = templatize(fileobj.read().decode("utf-8"))
    # templatize keeps the template's indentation, which Python's tokenizer
    # reads as blocks (an indented line after a plain one is an error); the
    # calls are all that matter, on the lines they came from.
    source = "\n".join(line.lstrip() for line in source.split("\n"))
    return extract_python(io.BytesIO(source.encode("utf-8")), keywords, comment_tags, options)


def _messages():
    """(path, line, message, context) of every translatable string of our sources."""
    for path in _sources(PYTHON_ROOTS, ".py"):
        with open(path, "rb") as handle:
            for line, message, _comments, context in extract("python", handle, KEYWORDS):
                yield path, line, message, context
    for path in (path for suffix in TEMPLATE_SUFFIXES for path in _sources(TEMPLATE_ROOTS, suffix)):
        if "templates" not in path.relative_to(ROOT).parts:
            continue
        is_jinja = path.read_text(encoding="utf-8").startswith(JINJA_MARK)
        with open(path, "rb") as handle:
            method = babel_extract if is_jinja else _django_template
            for line, message, _comments, context in extract(method, handle, KEYWORDS, options=JINJA_OPTIONS):
                yield path, line, message, context


def extracted():
    """A template Catalog of every string our sources mark for translation."""
    template = Catalog(project="school-records", fuzzy=False)
    for path, line, message, context in _messages():
        template.add(message, None, [(str(path.relative_to(ROOT)), line)], context=context)
    return template


def msgids(catalog):
    return {message.id if isinstance(message.id, str) else message.id[0] for message in catalog if message.id}


def read_catalog(path, locale=None):
    with open(path, "rb") as handle:
        return read_po(handle, locale=locale)


def compiled(catalog):
    """The .mo bytes of a catalog (fuzzy and empty translations left out, as msgfmt does)."""
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def typeset(language, text):
    """`text` with the spaces its language's punctuation needs (French only; the others need none)."""
    for pattern, replacement in TYPOGRAPHY.get(language, ()):
        text = pattern.sub(replacement, text)
    return text


def _typeset_catalog(language, catalog):
    for message in catalog:
        if message.id and message.string:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            typeset_strings = tuple(typeset(language, string) for string in strings)
            message.string = typeset_strings if isinstance(message.string, tuple) else typeset_strings[0]


def _style_problems(language, catalog):
    found = []
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if any(typeset(language, string) != string for string in strings):
            found.append(f"{language}: spaces before punctuation not set: {msgid!r}: run `python manage.py translations`")
        if any(mark in string for string in strings for mark in FOREIGN_QUOTES.get(language, "")):
            found.append(f"{language}: quotation marks not of this language ({FOREIGN_QUOTES[language]}): {msgid!r}")
    return found


def untranslated(catalog):
    return sorted(
        message.id if isinstance(message.id, str) else message.id[0]
        for message in catalog
        if message.id and (message.fuzzy or not all(message.string if isinstance(message.string, tuple) else [message.string]))
    )


def update():
    """Extract, merge into every language's .po, compile the .mo files; returns {language: untranslated ids}."""
    template = extracted()
    LOCALE_DIR.mkdir(exist_ok=True)
    with open(TEMPLATE_FILE, "wb") as handle:
        write_po(handle, template, omit_header=True, sort_output=True)
    missing = {}
    for language in translated_languages():
        path = po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = read_catalog(path, language) if path.exists() else Catalog(locale=language, project="school-records")
        # No fuzzy matching: a guess from a similar string would be shown as if it were a translation.
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
        catalog.obsolete.clear()
        if language in PLURAL_FORMS:
            catalog._num_plurals, catalog._plural_expr = PLURAL_FORMS[language]
        _typeset_catalog(language, catalog)
        with open(path, "wb") as handle:
            write_po(handle, catalog, sort_output=True, width=100)
        path.with_suffix(".mo").write_bytes(compiled(read_catalog(path, language)))
        missing[language] = untranslated(catalog)
    return missing


def problems():
    """What is out of date, one line each (empty when all is well): for `--check` and the tests."""
    found = []
    wanted = msgids(extracted())
    terms = glossary.load(GLOSSARY_FILE)
    for language in translated_languages():
        path = po_path(language)
        if not path.exists():
            found.append(f"{language}: no catalogue {path}")
            continue
        catalog = read_catalog(path, language)
        have = msgids(catalog)
        found += [f"{language}: not extracted yet: {msgid!r}" for msgid in sorted(wanted - have)]
        found += [f"{language}: untranslated: {msgid!r}" for msgid in untranslated(catalog) if msgid in wanted]
        found += _style_problems(language, catalog)
        found += glossary.problems(terms, language, catalog)
        mo = path.with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != compiled(catalog):
            found.append(f"{language}: {mo} does not match {path}: compile it")
    return found
