#!/usr/bin/env python
"""Run any Django command for one school (`school_manage.py nairobi migrate`),
for every school (`school_manage.py --all migrate`), or manage the schools
themselves (`up`, `schools`, `hosts`). See School/cli.py."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "multitenant.settings")
    from School.cli import main

    sys.exit(main(sys.argv))
