"""translations: bring the catalogues of locale/ up to date with the sources, and compile them.

`python manage.py translations` extracts every marked string (Python, Django
and Jinja2 templates), adds new ones to each language's .po file (empty, to
be translated), drops strings no longer used, and compiles the .mo files
that are committed. `--check` changes nothing and exits 1 if a catalogue is
out of date or a string untranslated. Needs Babel (requirements-dev.txt).
"""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Extract, merge and compile the translation catalogues (locale/); --check only reports."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if anything is out of date")

    def handle(self, *args, check, **options):
        try:
            from School.locale import catalogues
        except ImportError as error:
            raise CommandError(f"{error}: install the development tools: pip install -r requirements-dev.txt") from None
        if check:
            problems = catalogues.problems()
            for problem in problems:
                self.stderr.write(problem)
            if problems:
                raise CommandError("catalogues out of date: run `python manage.py translations` and translate", returncode=1)
            self.stdout.write("catalogues up to date")
            return
        missing = catalogues.update()
        for language, ids in missing.items():
            self.stdout.write(f"{language}: {len(ids)} untranslated")
            for msgid in ids:
                self.stdout.write(f"  {msgid!r}")
        self.stdout.write(f"updated {catalogues.LOCALE_DIR}/*/LC_MESSAGES/django.po and compiled django.mo")
