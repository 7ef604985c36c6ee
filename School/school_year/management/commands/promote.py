"""promote: promotion day for one school (`school_manage.py NAME promote --to YEAR` or `--undo YEAR`).

Through `school_manage.py --all promote --to YEAR` every school is promoted by
the fan-out, which goes on past a school that refuses and exits 1 at the end.
"""

from django.core.management.base import BaseCommand, CommandError

from School.context import current_alias, current_school
from School.school_year.graduation import done_promotion, receiving_school, send_graduates, withdraw_graduates
from School.school_year.promotion import LABELS, Outcome, PromotionError, plan, promote
from School.school_year.undo import check_undo, undo
from School.management.operator import operator

EXIT_BAD_INPUT = 2


class Command(BaseCommand):
    # None: `--all promote` runs it once per school in each worker, and the same models checked 100,000
    # times were a seventh of a school's promotion (`manage.py check` and every other command still check).
    requires_system_checks = []
    # A school's promotion waits on the disk for about a third of its time (the commit, the checkpoint when its
    # database is closed): two schools per core in `--all promote` keep the cores busy meanwhile.
    fanout_jobs_per_core = 2
    help = "Promote the school's students into the next year (all or nothing), preview it, or undo it."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--to", metavar="YEAR", help="the year to open (it must exist: see `calendar set`)")
        target.add_argument("--undo", metavar="YEAR", help="undo the promotion into YEAR")
        parser.add_argument("--repeat", nargs="+", default=[], metavar="REGNO", help="students who repeat their grade")
        parser.add_argument("--leave", nargs="+", default=[], metavar="REGNO", help="students who leave the school")
        parser.add_argument("--graduates-to", metavar="SCHOOL", default="",
                            help="send the graduates, in the same step, as transfers to SCHOOL")
        parser.add_argument("--dry-run", action="store_true", help="show the preview, write nothing")

    def handle(self, *args, to, undo, repeat, leave, graduates_to, dry_run, **options):
        school = current_school()
        if school is None:
            raise CommandError("name the school: school_manage.py NAME promote --to YEAR", returncode=EXIT_BAD_INPUT)
        if undo and (repeat or leave or dry_run or graduates_to):
            raise CommandError("--undo takes no other option", returncode=EXIT_BAD_INPUT)
        try:
            if undo:
                moved = self._undo(school, undo)
                self.stdout.write(f"Promotion of {school.name} into {undo} undone: {moved} students back in their grades")
                return
            if graduates_to:
                receiving_school(school.name, graduates_to)  # checked before anything is written
                if self._finish_sending(school, to, graduates_to):
                    return
            if dry_run:
                carried = plan(current_alias(), school.name, to, repeat, leave)
            else:
                carried = promote(current_alias(), school.name, to, repeat, leave, username=operator(), graduates_to=graduates_to)
        except PromotionError as error:
            raise CommandError(str(error), returncode=EXIT_BAD_INPUT) from None
        self._preview(school, carried, dry_run)
        if graduates_to and dry_run:
            self.stdout.write(f"  the {carried.counts().get(Outcome.GRADUATED, 0)} graduating would be sent to {graduates_to}")
        elif graduates_to:
            self._send(school, to)

    def _finish_sending(self, school, to, graduates_to):
        """True when the promotion into `to` was done with these graduates to send: only the sending is left."""
        done = done_promotion(current_alias(), to)
        if done is None or done.graduates_to != graduates_to:
            return False
        self._send(school, to)
        return True

    def _send(self, school, to):
        try:
            sent, before = send_graduates(current_alias(), school.name, to, operator())
        except PromotionError as error:
            # The promotion itself is done: rerunning the same command sends the rest.
            raise CommandError(f"{error}; rerun the same command to send them", returncode=1) from None
        target = done_promotion(current_alias(), to).graduates_to
        self.stdout.write(f"  graduates sent to {target} as transfers: {sent}" + (f" ({before} sent before)" if before else "")
                          + f"; {target} accepts or declines them")

    def _undo(self, school, name):
        check_undo(current_alias(), school.name, name)
        withdrawn = withdraw_graduates(current_alias(), school.name, name, operator())
        if withdrawn:
            self.stdout.write(f"  {withdrawn} graduate transfers still waiting for an answer cancelled")
        return undo(current_alias(), school.name, name, username=operator())

    def _preview(self, school, carried, dry_run):
        head = "Would promote" if dry_run else ("Finished the interrupted promotion of" if carried.resumed else "Promoted")
        self.stdout.write(f"{head} {school.name} from {carried.from_year} into {carried.to_year}"
                          f"{' (dry run: nothing written)' if dry_run else ''}")
        if carried.year_made or carried.to_year.pk is None:
            made = "would be created" if dry_run else "was created"
            self.stdout.write(f"  year {carried.to_year} ({carried.to_year.first_day}..{carried.to_year.last_day}) {made} "
                              f"from the platform calendar")
        for grade, counts, next_name in carried.by_grade():
            parts = [
                f"{counts[outcome]} {label}" + (f" to {next_name}" if label == "promoted" else "")
                for outcome, label in LABELS.items() if counts[outcome]
            ]
            self.stdout.write(f"  {grade.name}: {', '.join(parts)}")
        self.stdout.write(f"  total: {carried.summary()}")
