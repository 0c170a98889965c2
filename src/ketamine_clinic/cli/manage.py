"""``ketamine-clinic manage ...``: Django's management commands (migrate, seed_demo, createsuperuser, ...)."""

import argparse


def register(subparsers):
    parser = subparsers.add_parser("manage", help="Run a Django management command.")
    parser.add_argument("arguments", nargs=argparse.REMAINDER, help="e.g. migrate, seed_demo, check")
    parser.set_defaults(func=run)


def run(args) -> int:
    import os

    from django.core.management import execute_from_command_line

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketamine_clinic.settings")
    execute_from_command_line(["ketamine-clinic manage", *args.arguments])
    return 0
