"""The glossary of locale/glossary.csv: the domain's words, each with one translation per language.

A row is (term, language, translation, matches, note). The `en` row's
`matches` is a regular expression that finds the term in a source string, in
its school sense; another language's `matches` finds the forms its
translation takes (plurals, verb and noun forms: élèves, transférer,
amehamishiwa). Both are read case-insensitively.

Two rules, checked with the catalogues (`python manage.py translations --check`
and the tests):

* a translated entry whose source uses a term says it with the glossary's
  word, so "export" is never the word of "transfer" in one place and of
  "export" in another;
* two terms never share a word in one language: each term's forms must not
  also be the other's (a pattern may contain another term's word, as
  "kupanda darasa", promotion, holds "darasa", class; not both ways).
"""

import csv
import re
from dataclasses import dataclass

SOURCE_LANGUAGE = "en"
# Placeholders are names in code (%(host)s), not words the reader sees.
PLACEHOLDER = re.compile(r"%(\([^)]*\))?[-#0 +]*\d*(\.\d+)?[sdif]")


@dataclass(frozen=True)
class Word:
    term: str
    language: str
    translation: str
    matches: re.Pattern

    def found_in(self, text):
        return bool(self.matches.search(PLACEHOLDER.sub(" ", text)))


def load(path):
    """{term: {language: Word}} from the glossary file."""
    terms = {}
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            pattern = re.compile(row["matches"] or re.escape(row["translation"]), re.IGNORECASE)
            terms.setdefault(row["term"], {})[row["language"]] = Word(
                row["term"], row["language"], row["translation"], pattern)
    return terms


def _pairs(message):
    """(source, translation) of an entry, each plural form with its own source."""
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    for index, translated in enumerate(strings):
        yield ids[min(index, len(ids) - 1)], translated


def problems(terms, language, catalog):
    """One line for each entry of `catalog` that says a term otherwise, and each pair of terms that share a word."""
    found = []
    words = {term: by_language[language] for term, by_language in terms.items() if language in by_language}
    found += [f"{language}: glossary: no translation of {term!r}" for term in terms if term not in words]
    found += [
        f"{language}: glossary: {a.term!r} and {b.term!r} are the same word ({a.translation!r}, {b.translation!r})"
        for a in words.values() for b in words.values()
        if a.term < b.term and a.found_in(b.translation) and b.found_in(a.translation)
    ]
    for message in catalog:
        if not message.id:
            continue
        for source, translated in _pairs(message):
            if not translated:
                continue  # untranslated: reported as such
            for term, word in words.items():
                english = terms[term].get(SOURCE_LANGUAGE)
                if english and english.found_in(source) and not word.found_in(translated):
                    found.append(f"{language}: glossary: {source!r} uses {term!r}, but {translated!r} "
                                 f"does not say {word.translation!r}")
    return found
