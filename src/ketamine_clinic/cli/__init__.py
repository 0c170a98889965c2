"""The ``ketamine-clinic`` command line.

Each sub-command is a module in this package with ``register(subparsers)``, which adds its parser and sets
``func`` (called with the parsed arguments, returning the exit status). Modules are found automatically, so
adding a command means adding one file. Bad arguments exit with status 2 and a clear message (argparse's
convention), never a traceback.
"""

import argparse
import importlib
import os
import pkgutil
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ketamine-clinic",
        description="ketamine-clinic: demo clinic, simulations, scoring and exports.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CommandError as exc:
        print(f"ketamine-clinic {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly, as Unix tools do, without a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


class CommandError(Exception):
    """Raised by a sub-command for invalid input: printed without a traceback, exit status 2."""


def django_setup() -> None:
    """Configure Django for commands that touch the database (pure-core commands never call this)."""
    import os

    import django
    from django.core.exceptions import ImproperlyConfigured

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketamine_clinic.settings")
    try:
        django.setup()
    except ImproperlyConfigured as exc:  # e.g. a clinic's server without its secrets: say so, no traceback
        raise CommandError(str(exc)) from None


if __name__ == "__main__":
    sys.exit(main())
