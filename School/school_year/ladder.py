"""The grade ladder: lowest grade first, each grade's next one, the final grades.

A ladder set by the school is confirmed. One guessed from existing records
(the data migration) is confirmed only when the order can be read from the
names themselves ("Form 1", "Form 2", ...); promotion refuses an unconfirmed one.
"""

import logging
import re

from django.db import transaction

from School.events import counts_changed

from School.school_year.models import Enrolment, Grade, SchoolClass

logger = logging.getLogger(__name__)

NUMBERED = re.compile(r"^(.*?)\s*(\d+)$")


class LadderError(Exception):
    """A ladder that cannot be; the message says why in one line."""


def guessed_order(names):
    """(names lowest first, whether that order is certain) for grade names found in records."""
    names = sorted(set(names), key=str.lower)
    matches = [NUMBERED.match(name) for name in names]
    if names and all(matches):
        prefixes = {match.group(1).lower() for match in matches}
        numbers = [int(match.group(2)) for match in matches]
        if len(prefixes) == 1 and len(set(numbers)) == len(numbers):
            return [name for _, name in sorted(zip(numbers, names))], True
    return names, False


def loop_in(grades):
    """The name of a grade from which `next_grade` comes back round, or None (grades: name -> next name)."""
    for start in grades:
        seen, name = set(), start
        while name is not None:
            if name in seen:
                return name
            seen.add(name)
            name = grades.get(name)
    return None


def checked_names(names, finals=()):
    """The grade names, stripped, lowest first; LadderError unless they make a ladder (no grade twice: no loop)."""
    names = [name.strip() for name in names]
    if not names or not all(names) or any(len(name) > 40 for name in names):
        raise LadderError("name the grades, lowest first, each 1 to 40 characters")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise LadderError(f"grade {repeated[0]} is named twice: a ladder cannot come back to a grade")
    unknown = [name for name in finals if name not in names]
    if unknown:
        raise LadderError(f"--final {unknown[0]} is not one of the grades given")
    return names


def parse_levels(pairs, names, option="--level"):
    """{grade: value} of GRADE=VALUE texts, each grade one of `names`; a level must be one of Grade.Level."""
    found = {}
    for text in pairs:
        grade, sep, value = str(text).rpartition("=")
        grade, value = grade.strip(), value.strip()
        if not sep or not grade:
            raise LadderError(f"{option} {text!r}: write GRADE=VALUE, e.g. {option} 'Grade 1=" +
                              ("primary'" if option == "--level" else "1'"))
        if grade not in names:
            raise LadderError(f"{option} {grade}: not one of the grades given")
        if option == "--level" and value not in Grade.Level.values:
            raise LadderError(f"{option} {grade}={value}: the level is one of {', '.join(Grade.Level.values)}")
        if option == "--isced" and not (value.isalnum() and len(value) <= 10):
            raise LadderError(f"{option} {grade}={value}: an ISCED code is 1 to 10 letters or digits")
        found[grade] = value
    return found


def set_levels(using, levels=None, isced=None):
    """Give grades their level and ISCED code ({grade: value}); grades not named keep theirs."""
    grades = Grade.objects.using(using)
    changed = 0
    for name, level in (levels or {}).items():
        changed += grades.filter(name=name).exclude(level=level).update(level=level)
    for name, code in (isced or {}).items():
        changed += grades.filter(name=name).exclude(isced=code).update(isced=code)
    if changed:  # the ministry's indicators count by level (School/indicators/)
        transaction.on_commit(lambda: counts_changed.send(sender=Grade, using=using), using=using)


def set_ladder(using, names, finals=(), levels=None, isced=None):
    """Make the school's ladder exactly `names` (lowest first), `finals` graduating; the ladder is then confirmed.

    `levels` and `isced` ({grade: value}) set those grades' level and code; the others keep theirs.
    """
    names = checked_names(names, finals)
    grades = Grade.objects.using(using)
    dropped = grades.exclude(name__in=names)
    used = {grade.name for grade in dropped if _in_use(using, grade)}
    if used:
        raise LadderError(f"grade {sorted(used)[0]} has enrolments or classes: keep it in the ladder")
    with transaction.atomic(using=using):
        dropped.delete()
        rows = {}
        for position, name in enumerate(names, start=1):
            rows[name], _ = grades.update_or_create(
                name=name, defaults={"position": position, "is_final": name in finals, "confirmed": True, "next_grade": None}
            )
        for lower, upper in zip(names, names[1:]):
            if lower not in finals:
                grades.filter(pk=rows[lower].pk).update(next_grade=rows[upper])
        set_levels(using, levels, isced)
    logger.info("grade ladder set: %s (final: %s)", ", ".join(names), ", ".join(finals) or "none")
    return list(grades.order_by("position"))


def _in_use(using, grade):
    return (
        Enrolment.objects.using(using).filter(grade=grade).exists()
        or SchoolClass.objects.using(using).filter(grade=grade).exists()
    )


def ladder_rows(using):
    names = dict(Grade.objects.using(using).values_list("pk", "name"))
    return [
        {
            "position": grade.position,
            "name": grade.name,
            "next": names.get(grade.next_grade_id, ""),
            "final": grade.is_final,
            "confirmed": grade.confirmed,
            "level": grade.level,
            "isced": grade.isced,
        }
        for grade in Grade.objects.using(using).order_by("position")
    ]
