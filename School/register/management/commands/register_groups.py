"""register_groups: the current year's groups other than a class (a trip, a team), made and changed.

    school_manage.py NAME register_groups [--format table|json]
    school_manage.py NAME register_groups add NAME [--teacher USER] [--member REGNO ...] [--first DATE] [--last DATE]
    school_manage.py NAME register_groups members NAME [--add REGNO ...] [--remove REGNO ...]
    school_manage.py NAME register_groups remove NAME      # a group with no register taken yet

A group's register is taken with `register --group NAME`. The checks are School/register/groups.py's,
the group pages' too. Bad input: one line, exit 2, nothing written.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from School.context import current_alias, current_school
from School.management.checks import all_but_page_checks
from School.management.operator import operator
from School.register import groups, service

EXIT_BAD_INPUT = 2


class Command(BaseCommand):
    requires_system_checks = all_but_page_checks()  # it serves no page (School/management/checks.py)
    help = "List, add, change or remove the groups other than a class (a trip, a team) whose registers are taken"

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", choices=["list", "add", "members", "remove"], default="list")
        parser.add_argument("name", nargs="?", default="", metavar="NAME", help="the group's name (add, members)")
        parser.add_argument("--teacher", default="", metavar="USER", help="the teacher in charge, who may take its register")
        parser.add_argument("--member", nargs="+", default=[], metavar="REGNO", help="its members (add)")
        parser.add_argument("--first", default="", metavar="DATE", help="its first day, YYYY-MM-DD (default: the year's)")
        parser.add_argument("--last", default="", metavar="DATE", help="its last day, YYYY-MM-DD (default: the year's)")
        parser.add_argument("--add", nargs="+", default=[], metavar="REGNO", help="students joining it (members)")
        parser.add_argument("--remove", nargs="+", default=[], metavar="REGNO", help="students leaving it (members)")
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args, action, name, teacher, member, first, last, add, remove, format, **options):
        if current_school() is None:
            raise CommandError("name the school: school_manage.py NAME register_groups", returncode=EXIT_BAD_INPUT)
        using = current_alias()
        try:
            if action != "list" and not name:
                raise service.RegisterError(f"name the group: register_groups {action} NAME")
            if action == "add":
                first_day, last_day = (service.parse_day(text) if text else None for text in (first, last))
                group = groups.create(using, operator(), name, teacher=teacher, members=member, first=first_day,
                                      last=last_day)
                self.stdout.write(f"Group {group.name} added: {len(member)} members, teacher {teacher or 'none'}, "
                                  f"days {groups.days_text(group)}")
                return
            if action == "members":
                ref = groups.find_group(using, name)
                added, removed = groups.change_members(using, ref, add=add, remove=remove)
                self.stdout.write(f"Group {ref.name}: {added} added, {removed} removed, "
                                  f"{len(groups.members_of(using, ref))} members")
                return
            if action == "remove":
                ref = groups.find_group(using, name)
                groups.remove(using, ref)
                self.stdout.write(f"Group {ref.name} removed")
                return
            found = groups.year_groups(using)
        except service.RegisterError as error:
            raise CommandError(str(error), returncode=EXIT_BAD_INPUT) from None
        rows = [{"name": row["group"].name, "teacher": row["teacher"], "first": str(row["group"].first_day or ""),
                 "last": str(row["group"].last_day or ""), "members": row["members"], "registers": row["registers"]}
                for row in found]
        if format == "json":
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not rows:
            self.stdout.write("No group this year.")
        for row in rows:
            self.stdout.write(f"{row['name']}\tteacher {row['teacher'] or '-'}\tdays {row['first'] or '…'}..{row['last'] or '…'}"
                              f"\t{row['members']} members\t{row['registers']} registers")
