"""hosts: lines for /etc/hosts so that every school's host names resolve here."""

import argparse
import ipaddress

from django.core.management.base import BaseCommand

from School.management.checks import all_but_page_checks
from School.utils import all_schools, registry_is_migrated


def _is_ip(host):
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def ip_argument(value):
    if not _is_ip(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not an IP address")
    return value


class Command(BaseCommand):
    requires_system_checks = all_but_page_checks()  # it serves no page (School/management/checks.py)
    help = "Print /etc/hosts lines for every registered host."

    def add_arguments(self, parser):
        parser.add_argument("--ip", default="127.0.0.1", type=ip_argument, help="the address the hosts should resolve to")

    def handle(self, *args, ip, **options):
        self.stdout.write("# School records platform: add these lines to /etc/hosts.")
        self.stdout.write("# Names ending in .localhost resolve to this machine without an entry.")
        schools = all_schools() if registry_is_migrated() else []
        for school in schools:
            for host in school.hosts:
                if not _is_ip(host):
                    self.stdout.write(f"{ip} {host}  # {school.name}")
