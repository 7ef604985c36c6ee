"""Signals that let other parts of the platform follow a school's data without being called by it.

Sent by the code that changes the data (School.models, the backup and
restore operations); the platform's figures (School/platform/) listen.
Kept in a module with no imports of its own, so that any module can send them.
"""

from django.dispatch import Signal

# A school's students changed (after the write; the sender may be in a transaction). Args: using; fields: the
# Student fields the write may have changed (a frozenset; None or absent: any, or rows added or removed).
students_changed = Signal()
# A backup file of a school is complete. Args: school (name), path, size, at.
backup_completed = Signal()
# A school now serves other data than before (restored, cloned, moved, added). Args: school (name).
school_data_replaced = Signal()
# Students are about to be written for the first time (before the write). Args: using, students (unsaved).
# School/identity/registry.py gives those without a learner number one.
students_enrolling = Signal()
# What the platform counts of a school changed other than through its students (the grades' levels). Args: using.
counts_changed = Signal()
