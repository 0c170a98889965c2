"""``ketamine-clinic demo``: migrate the embedded database, seed the demo clinic, serve it."""

import subprocess
import sys

from . import CommandError, django_setup


def register(subparsers):
    parser = subparsers.add_parser("demo", help="Set up and serve the synthetic demo clinic on SQLite.")
    parser.add_argument("--addrport", default="127.0.0.1:8000", help="Where to serve (default 127.0.0.1:8000).")
    parser.add_argument("--no-serve", action="store_true", help="Migrate and seed only.")
    parser.set_defaults(func=run)


def run(args) -> int:
    import os

    if os.environ.get("DATABASE_URL"):
        raise CommandError("the demo runs on the embedded SQLite database: unset DATABASE_URL.")
    if ":" not in args.addrport:
        raise CommandError(f"--addrport must look like 127.0.0.1:8000, not {args.addrport!r}.")
    # This data folder holds the demo clinic: development keys and plain HTTP on 127.0.0.1 are allowed for it.
    os.environ["KETAMINE_CLINIC_DEMO"] = "1"
    django_setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.DEMO_MARKER.write_text("The embedded demo clinic (synthetic data) made by `ketamine-clinic demo`.\n")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo")
    if args.no_serve:
        return 0
    print(f"Serving the demo clinic at http://{args.addrport}/  (Ctrl+C to stop)")
    from .serve import serve

    # The task worker beside the server, so reminders and pages reach DATA_DIR/mail and DATA_DIR/sms.
    worker = subprocess.Popen([sys.executable, "-m", "ketamine_clinic", "worker"])
    try:
        return serve(bind=args.addrport, workers=2)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
