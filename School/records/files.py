"""Students in and out of CSV files, for the school that is active.

Export and import use the same columns, so an exported file imports back
unchanged. An import reads its file twice, streaming, never holding the rows
in memory: the first pass checks every row (and keeps only the registration
numbers, to find duplicates), the second writes, in one transaction, only if
the first found no error. A file with one bad row writes nothing.
"""

import contextlib
import datetime
from dataclasses import dataclass, field
from itertools import islice

from django.core.exceptions import ValidationError
from django.db import connections, router
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from School.context import current_school
from School.fields import normalise_fields
from School.identity.guardians import (
    GUARDIAN_COLUMNS,
    OLD_COLUMNS,
    file_cells,
    guardians_from_row,
    has_guardian_columns,
    replace_guardians,
)
from School.identity.phones import region_of
from School.identity.enrolment import active_elsewhere_of, warning
from School.identity.learner_number import read_number
from School.identity.sex import sex_from_text
from School.locale.activation import date_order_of, language_of
from School.models import Student
from School.records.dates import DateReader, write_date
from School.branding.looks import look_of
from School.records.formats import (
    FileFormatError, TitleRow, UnwritableCell, csv_lines, first_data_line, is_title_row, open_rows, restore, write_xlsx,
)
from School.school_year.placement import Placement, PlacementError
from School.transactions import atomic
from School.transfers.records import STATUS_SET_BY_TRANSFERS, enters_transferred, transferred_out_ids

# The student's own fields, then its guardians' (School/identity/guardians.py).
STUDENT_COLUMNS = [
    "registration_no",
    "first_name",
    "second_name",
    "date_of_birth",
    "sex",
    "grade",
    "enrolment_date",
    "status",
    "learner_no",
]
COLUMNS = [*STUDENT_COLUMNS, *GUARDIAN_COLUMNS]
# Read on import only: the current year's class (School/school_year/placement.py).
CLASS = "class"
REQUIRED = ("registration_no", "first_name", "second_name")
DATES = ("date_of_birth", "enrolment_date")
BATCH = 1000
MAX_REPORTED_ERRORS = 500


class CsvFileError(ValueError):
    """The file as a whole cannot be read as a student list (CSV, TSV or xlsx)."""


class ExportError(ValueError):
    """A student list cannot be written in the chosen format; the message names the record."""


@dataclass
class RowError:
    line: int
    registration_no: str
    messages: list

    def __str__(self):
        who = f" ({self.registration_no})" if self.registration_no else ""
        return _("line %(line)s%(who)s: %(problems)s") % {"line": self.line, "who": who, "problems": "; ".join(self.messages)}


@dataclass
class ImportReport:
    rows: int = 0
    new: int = 0
    updated: int = 0
    error_count: int = 0
    errors: list = field(default_factory=list)
    written: bool = False
    file_format: str = ""  # what the file was read as, e.g. "UTF-16 tab-separated"
    date_order: str = ""  # how its dates were read, e.g. "day first (DD/MM/YYYY)"
    # New rows whose child is active at another school: (line, registration_no, warning) in the
    # preview; (Student, [Elsewhere]) once written, for the audit trail.
    elsewhere: list = field(default_factory=list)

    @property
    def ok(self):
        return self.error_count == 0

    def add_error(self, error):
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(error)

    def summary(self):
        counts = {"errors": self.error_count, "rows": self.rows, "new": self.new, "updated": self.updated}
        if not self.ok:
            if not self.rows:
                return _("nothing was written")
            return ngettext(
                "nothing was written: %(errors)s of %(rows)s rows has errors",
                "nothing was written: %(errors)s of %(rows)s rows have errors",
                self.error_count,
            ) % counts
        if self.written:
            return _("imported %(rows)s rows: %(new)s new, %(updated)s updated") % counts
        return _("would import %(rows)s rows: %(new)s new, %(updated)s updated") % counts


# --- reading -------------------------------------------------------------------


@contextlib.contextmanager
def read_rows(binary):
    """(file format, header, rows) of a student list opened in binary mode.

    rows yields (line number, {column: value} or None, problem or None).
    """
    try:
        with open_rows(binary) as (file_format, rows):
            header_line, first = 1, next(rows, [])
            if file_format.is_workbook and is_title_row(first, COLUMNS):
                # A branded school's export (or a hand-made list) puts its title above the header.
                header_line, first = 2, next(rows, [])
            header = [name.strip().lower() for name in first]
            while header and not header[-1]:
                header.pop()  # empty cells right of a workbook's header
            if not header:
                raise CsvFileError(_("the file is empty: the first line must name the columns"))
            unknown = [name for name in header if name not in COLUMNS and name not in OLD_COLUMNS and name != CLASS]
            missing = [name for name in REQUIRED if name not in header]
            if unknown or missing:
                problems = [_("unknown column %(name)s") % {"name": repr(name)} for name in unknown]
                problems += [_("missing column %(name)s") % {"name": repr(name)} for name in missing]
                raise CsvFileError(
                    _("line %(line)s: %(problems)s (columns: %(columns)s)")
                    % {"line": header_line, "problems": "; ".join(problems), "columns": ", ".join(COLUMNS)}
                )
            yield file_format, header, _data_rows(rows, header, header_line + 1)
    except FileFormatError as error:
        raise CsvFileError(str(error)) from None


def _data_rows(rows, header, start=2):
    for number, values in enumerate(rows, start=start):
        if not any(value.strip() for value in values):
            continue  # blank lines, often at the end
        while len(values) > len(header) and not values[-1].strip():
            values = values[:-1]
        if len(values) != len(header):
            yield number, None, _("has %(fields)s fields, the header has %(columns)s") % {
                "fields": len(values), "columns": len(header)
            }
            continue
        yield number, dict(zip(header, (restore(value.strip()) for value in values))), None


_STATUS_BY_NAME = {
    **{choice.lower(): choice for choice in Student.Status.values},
    **{label.lower(): choice for choice, label in Student.Status.choices},
}


def _status(value):
    if not value:
        return Student.Status.ACTIVE
    try:
        return _STATUS_BY_NAME[value.lower()]
    except KeyError:
        known = ", ".join(Student.Status.values)
        raise ValidationError(
            {"status": _("unknown status %(value)s: use one of %(known)s") % {"value": repr(value), "known": known}}
        ) from None


def _checked_fields():
    # What Model.clean_fields() checks for each editable field, gathered once:
    # the profile of an import showed full_clean() as its largest cost.
    return [
        (field.name, field.attname, field.blank, frozenset(field.flatchoices and dict(field.flatchoices)),
         tuple(field.validators), field)
        for field in Student._meta.concrete_fields
        if field.editable and not field.primary_key
    ]


_CHECKED_FIELDS = _checked_fields()


def _field_problems(student, exclude):
    """{field: [messages]}: the same checks and messages as Student.clean_fields(), without its overhead.

    Like clean_fields(), it leaves texts in their stored form and checks that
    form (a name of spaces only is blank).
    """
    normalise_fields(student)
    problems = {}
    for name, attname, blank, choices, validators, field in _CHECKED_FIELDS:
        value = getattr(student, attname)
        if name in exclude or (blank and value in field.empty_values):
            continue
        messages = []
        if value in field.empty_values:
            messages.append(field.error_messages["blank"])
        else:
            if choices and value not in choices:
                messages.append(field.error_messages["invalid_choice"] % {"value": value})
            for validator in validators:
                try:
                    validator(value)
                except ValidationError as error:
                    messages.extend(error.messages)
        if messages:
            problems[name] = messages
    return problems


def student_from_row(row, dates=None, line=0, language="en", region=""):
    """A Student (unsaved) from a row (dates read by `dates`, a DateReader; words such as the sex's
    read in `language` as well as English; phones without +country code as numbers of `region`);
    ValidationError with every problem. Its `guardians_given` are the row's guardians, or None when
    the file has no guardian columns (an update then leaves them as they are)."""
    dates = dates or DateReader("iso")
    problems = {}
    values = {}
    for column in DATES:
        try:
            values[column] = dates.read(row.get(column, ""), line)
        except ValueError as error:
            problems[column] = [str(error)]
    for column, read in (("status", _status), ("sex", lambda text: sex_from_text(text, language))):
        try:
            values[column] = read(row.get(column, ""))
        except ValidationError as error:
            problems.update(error.message_dict)
    try:
        values["learner_no"] = read_number(row.get("learner_no", ""))
    except ValidationError as error:
        problems["learner_no"] = error.messages
    student = Student(
        registration_no=row.get("registration_no", ""),
        first_name=row.get("first_name", ""),
        second_name=row.get("second_name", ""),
        grade=row.get("grade", ""),
        **{key: value for key, value in values.items() if value is not None},
    )
    student.guardians_given = None
    if has_guardian_columns(row):
        try:
            student.guardians_given = guardians_from_row(row, region, language)
        except ValidationError as error:
            problems.update(error.message_dict)
    # Uniqueness is checked per batch by the caller, not row by row.
    problems.update(_field_problems(student, exclude=problems))
    if not problems:
        try:
            student.clean()  # the rules across fields
        except ValidationError as error:
            problems.update(error.message_dict)
    if problems:
        raise ValidationError(problems)
    return student


def _messages(error):
    return [f"{column}: {message}" for column, messages in error.message_dict.items() for message in messages]


def _batches(iterable, size):
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


# --- importing -------------------------------------------------------------------


class StudentImport:
    """Check, then apply, an import from a CSV file on disk."""

    def __init__(self, path, update=False, date_order=None, max_rows=None, progress=None, historic_transfers=False,
                 enrol_reason=None):
        """date_order: how the file writes dates (the active school's order unless told).
        max_rows: refuse a longer file (a bomb) as soon as its row max_rows + 1 is read.
        progress: called with the number of rows read so far, after each batch.
        historic_transfers: accept the status "transferred" on rows that do not have it yet
        (the operator loading records kept before the platform; never a school's web import).
        enrol_reason: None, no check; else new rows whose child is active at another school are
        listed by check() and written by apply() only with a reason (the registrar's web import)."""
        self.path = path
        self.update = update
        self.historic_transfers = historic_transfers
        self.enrol_reason = enrol_reason
        self.max_rows = max_rows
        self.progress = progress
        self.columns = []
        # The active school's order and language (the import runs as the school), unless told.
        self.date_order = date_order or date_order_of(current_school())
        self.language = language_of(current_school())
        self.region = region_of(current_school())

    def _checked(self, report):
        """(line, Student, existing pk or None) for each row; errors go to the report."""
        seen, numbers_seen = {}, {}
        dates = DateReader(self.date_order)
        placement = Placement(router.db_for_read(Student))
        with open(self.path, "rb") as binary, read_rows(binary) as (file_format, self.columns, rows):
            report.file_format = str(file_format)
            report.date_order = str(dates.description)
            for batch in _batches(self._limited(rows), BATCH):
                students = []
                for line, row, problem in batch:
                    report.rows += 1
                    if problem:
                        report.add_error(RowError(line, "", [problem]))
                        continue
                    number = row.get("registration_no", "")
                    if number and number in seen:
                        report.add_error(RowError(
                            line, number, [_("registration number repeated (first on line %(line)s)") % {"line": seen[number]}]
                        ))
                        continue
                    seen.setdefault(number, line)
                    try:
                        student = student_from_row(row, dates, line, self.language, self.region)
                        if row.get(CLASS):
                            student.grade = placement.grade_text(row[CLASS], row.get("grade", ""))
                        students.append((line, student))
                    except ValidationError as error:
                        report.add_error(RowError(line, number, _messages(error)))
                    except PlacementError as error:
                        report.add_error(RowError(line, number, [f"{CLASS}: {error}"]))
                existing = {
                    number: (pk, status) for number, pk, status in Student.objects.filter(
                        registration_no__in=[s.registration_no for _, s in students]
                    ).values_list("registration_no", "pk", "status")
                }
                holders = dict(Student.objects.filter(
                    learner_no__in=[s.learner_no for _, s in students if s.learner_no]
                ).values_list("learner_no", "registration_no"))
                left = transferred_out_ids(pk for pk, _status in existing.values()) if self.update and existing else set()
                for line, student in students:
                    pk, status = existing.get(student.registration_no, (None, None))
                    if not self.historic_transfers and enters_transferred(status, student.status):
                        report.add_error(RowError(line, student.registration_no, [str(STATUS_SET_BY_TRANSFERS)]))
                        continue
                    if pk in left:
                        report.add_error(RowError(line, student.registration_no, [
                            _("transferred to another school: the record is read-only")]))
                        continue
                    holder = holders.get(student.learner_no) if student.learner_no else None
                    if holder is None and student.learner_no:
                        holder = numbers_seen.get(student.learner_no)
                        numbers_seen.setdefault(student.learner_no, student.registration_no)
                    if holder not in (None, student.registration_no):
                        report.add_error(RowError(line, student.registration_no, [
                            _("learner_no: learner number %(number)s belongs to %(other)s")
                            % {"number": student.learner_no, "other": holder}]))
                        continue
                    if pk is not None and not self.update:
                        report.add_error(RowError(
                            line, student.registration_no,
                            [_("registration number already exists (import with update to change the record)")],
                        ))
                        continue
                    yield line, student, pk
                if self.progress:
                    self.progress(report.rows)
            mixed = dates.mixed_orders()
            if mixed:
                report.add_error(RowError(dates.first_mixed_line, "", [mixed]))

    def _limited(self, rows):
        """The rows, refused (a bomb) as soon as one more than max_rows is read."""
        for count, row in enumerate(rows, start=1):
            if self.max_rows is not None and count > self.max_rows:
                raise CsvFileError(
                    _("the file has more than %(limit)s rows, the limit of one import") % {"limit": f"{self.max_rows:,}"}
                )
            yield row

    def check(self):
        """Preview: what the import would do, and every row's problems. Writes nothing."""
        report = ImportReport()
        for batch in _batches(self._checked(report), BATCH):
            new = [(line, student) for line, student, pk in batch if pk is None]
            report.new += len(new)
            report.updated += len(batch) - len(new)
            for (line, student), elsewhere in self._elsewhere(new):
                report.elsewhere.append((line, student.registration_no, warning(elsewhere)))
        return report

    def _elsewhere(self, new):
        """((line, Student), [Elsewhere]) for the new rows whose child is active at another school."""
        if self.enrol_reason is None or not new:
            return []
        answers = active_elsewhere_of([student for _line, student in new], current_school().name)
        return [(row, elsewhere) for row, elsewhere in zip(new, answers) if elsewhere]

    def apply(self):
        """Check every row and write them all, or, if any row has an error, nothing.

        With real transactions (SQLite, any SQL database) this is one pass:
        rows are written batch by batch as they check out, and the
        transaction is rolled back if any row has an error. On MongoDB the
        file is checked whole first and written in a second pass.
        """
        using = router.db_for_write(Student)
        if connections[using].vendor == "mongodb":
            report = self.check()
            if not report.ok:
                return report
            written = self._write(using, ImportReport())
            if not written.ok:  # the data changed between the two passes
                raise CsvFileError(_("the file no longer checks out: %(error)s") % {"error": written.errors[0]})
            return written
        try:
            return self._write(using, ImportReport())
        except _RolledBack as rolled_back:
            return rolled_back.report

    def _write(self, using, report):
        now = timezone.now()
        with atomic(using=using):
            for batch in _batches(self._checked(report), BATCH):
                # An update changes only the columns the file has (known once
                # it is open): a file without enrolment dates must not reset them.
                fields = [name for name in dict.fromkeys("grade" if name == CLASS else name for name in self.columns)
                          if name in STUDENT_COLUMNS and name not in ("registration_no", "learner_no")]
                fields.append("updated_at")
                new, changed = [], []
                for line, student, pk in batch:
                    if pk is None:
                        new.append(student)
                    else:
                        student.pk, student.updated_at = pk, now
                        changed.append(student)
                for (line, student), elsewhere in self._elsewhere([(line, s) for line, s, pk in batch if pk is None]):
                    if not self.enrol_reason.strip():
                        report.add_error(RowError(line, student.registration_no, [warning(elsewhere)]))
                    report.elsewhere.append((student, elsewhere))
                report.new += len(new)
                report.updated += len(changed)
                if not report.ok:
                    continue  # keep checking, to report every bad row; nothing will stay written
                Student.objects.bulk_create(new)
                if changed:
                    Student.objects.bulk_update(changed, fields)
                replace_guardians(using, [(student.pk, student.guardians_given) for student in (*new, *changed)
                                          if student.guardians_given is not None])
            if not report.ok:
                raise _RolledBack(report)
        report.written = True
        return report


class _RolledBack(Exception):
    def __init__(self, report):
        super().__init__(report.summary())
        self.report = report


# --- exporting -------------------------------------------------------------------


def export_rows(queryset, date_order="iso"):
    """Each student of `queryset` as the texts of COLUMNS, dates in `date_order` (ISO: any program reads it)."""
    rows = queryset.values_list(*STUDENT_COLUMNS, "pk").iterator(chunk_size=BATCH)
    no_guardians = [""] * len(GUARDIAN_COLUMNS)
    for batch in _batches(rows, BATCH):
        guardians = file_cells(queryset.db, [values[-1] for values in batch])
        for *values, pk in batch:
            yield ["" if value is None else write_date(value, date_order) if isinstance(value, datetime.date) else value
                   for value in values] + guardians.get(pk, no_guardians)


def workbook_title():
    """A branded school's name in its colours above the header of its workbooks; None on the platform's look."""
    school = current_school()
    look = look_of(school)
    if not (look.logo or look.stylesheet):
        return None
    return TitleRow(school.display_name, look.primary, look.accent)


def export_lines(queryset, date_order="iso"):
    """The CSV text of the students of `queryset`, line by line (for streaming)."""
    return csv_lines(COLUMNS, export_rows(queryset, date_order))


def export_xlsx(queryset, target, date_order="iso"):
    """The students of `queryset` as an .xlsx workbook written to `target` (a path or binary file).

    ExportError naming the student if a value cannot be written (only rows
    saved around the model, e.g. by raw SQL, can hold such a value).
    """
    title_row = workbook_title()
    # Closed here, not by the garbage collector after the connection is gone.
    with contextlib.closing(export_rows(queryset, date_order)) as rows:
        try:
            write_xlsx(target, COLUMNS, rows, title_row=title_row)
        except UnwritableCell as error:
            number = queryset.values_list("registration_no", flat=True)[error.line - first_data_line(title_row)]
            raise ExportError(
                _("The Excel file cannot be written: the %(column)s of student %(number)s holds a control character. "
                  "Correct it on the student's page, or export as CSV.") % {"column": error.column, "number": number}
            ) from None
