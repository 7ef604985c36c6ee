#!/usr/bin/env python
"""Django's command-line utility, aware of each school's database alias."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "multitenant.settings")
    from School.cli import manage_main

    manage_main(sys.argv)
