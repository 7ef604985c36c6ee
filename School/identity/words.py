"""The words a file may use for a choice: its stored values and its labels, in English and the school's language."""

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
