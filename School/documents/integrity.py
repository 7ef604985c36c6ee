"""check-files: compare a school's file rows with its storage, and (with repair) remove what no row names."""

from dataclasses import dataclass, field

from School.documents.models import StudentFile
from School.documents.service import recount_usage
from School.documents.storage import MissingFile, storage_for


@dataclass
class FilesReport:
    checked: int = 0
    orphans: list = field(default_factory=list)
    partials: list = field(default_factory=list)
    missing: list = field(default_factory=list)  # (row, key)


def check_files(alias, school_name, *, repair=False, partial_age=3600):
    storage = storage_for(alias)
    named = set()
    report = FilesReport()
    rows = StudentFile.objects.using(alias).select_related("student").order_by("pk")
    for row in rows.iterator(chunk_size=1000):
        report.checked += 1
        for key in filter(None, (row.key, row.thumbnail_key)):
            named.add(key)
            try:
                storage.size(key)
            except MissingFile:
                report.missing.append((row, key))
    report.orphans = [key for key in storage.keys() if key not in named]
    report.partials = list(storage.partials(partial_age))
    if repair:
        for key in report.orphans:
            storage.delete(key)
        for name in report.partials:
            storage.remove_partial(name)
        recount_usage(school_name, alias)
    return report
