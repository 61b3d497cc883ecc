#!/usr/bin/env python3
"""Django's management commands for Rongcuo (migrate, runserver, demo_load, sweep_deadlines, …)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rongcuo.web.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
