"""The words a file may use for a choice: its stored values and its labels, in English and the school's language."""

import functools

from django.core.exceptions import ValidationError
from django.utils import translation

from School.validation import normalise_text


def choice_words(choices, language, extra=()):
    """{lower-case word: stored value} of `choices` (a TextChoices), as English and `language` write them.

    The stored values themselves, the labels in both languages, and `extra` pairs (e.g. letters).
    """
    words = {**dict(extra), **{value: value for value in choices.values if value}}
    for code in dict.fromkeys(("en", language)):
        with translation.override(code):
            words.update({normalise_text(str(label)).lower(): value for value, label in choices.choices})
    return words


@functools.lru_cache(maxsize=64)
def _words_of(choices, language, extra):
    return choice_words(choices, language, extra)


def value_of(text, choices, language, empty, column, unknown, extra=()):
    """The stored value of `choices` a file's cell `text` names (`empty` for a blank cell).

    ValidationError {column: unknown % {"value": the text}} when no word of `language` or English names one.
    """
    text = normalise_text(text or "").lower()
    if not text:
        return empty
    try:
        return _words_of(choices, language, tuple(extra))[text]
    except KeyError:
        raise ValidationError({column: unknown % {"value": repr(text)}}) from None
