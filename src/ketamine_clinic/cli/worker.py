"""``ketamine-clinic worker``: the task worker that sends the clinic's email and text messages.

It runs django-tasks-db's ``db_worker`` on the clinic's database (SQLite or PostgreSQL), so as many workers as
needed may run, on one machine or several; each claims a task before running it. At start it queues the
periodic sweep (reminders and digests, followup/sweep.py) unless one is waiting already.
"""

from . import CommandError, django_setup


def register(subparsers):
    parser = subparsers.add_parser("worker", help="Run the task worker (sends email and text messages).")
    parser.add_argument("--batch", action="store_true", help="Run every task that is due now, then exit.")
    parser.add_argument("--interval", type=float, default=1.0,
                        help="Seconds to wait between looks at the queue when it is empty (default 1).")
    parser.add_argument("--no-sweep", action="store_true", help="Do not queue the reminder and digest sweep.")
    parser.set_defaults(func=run)


def run(args) -> int:
    if args.interval < 0:
        raise CommandError("--interval must be zero or more seconds.")
    django_setup()
    from django.core.management import call_command
    from django.db.utils import OperationalError, ProgrammingError

    from ketamine_clinic.followup import sweep

    try:
        if not args.no_sweep:
            sweep.ensure_queued()
    except (OperationalError, ProgrammingError) as exc:  # e.g. a database never migrated
        raise CommandError(f"the database is not ready ({exc}); run `ketamine-clinic manage migrate` first.") from None
    options = ["--interval", str(args.interval), "--no-reload", "--queue-name", "*"]
    if args.batch:
        options += ["--batch", "--no-startup-delay"]
    call_command("db_worker", *options)
    return 0
