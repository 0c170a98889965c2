"""``ketamine-clinic demo``: migrate the embedded database, seed the demo clinic, serve it."""

from . import CommandError, django_setup


def register(subparsers):
    parser = subparsers.add_parser("demo", help="Set up and serve the synthetic demo clinic on SQLite.")
    parser.add_argument("--addrport", default="127.0.0.1:8000", help="Where to serve (default 127.0.0.1:8000).")
    parser.add_argument("--no-serve", action="store_true", help="Migrate and seed only.")
    parser.set_defaults(func=run)


def run(args) -> int:
    django_setup()
    from django.core.management import call_command

    if ":" not in args.addrport:
        raise CommandError(f"--addrport must look like 127.0.0.1:8000, not {args.addrport!r}.")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo")
    if args.no_serve:
        return 0
    print(f"Serving the demo clinic at http://{args.addrport}/  (Ctrl+C to stop)")
    # --insecure serves the static files without DEBUG; this is a local demo, not a production server.
    call_command("runserver", args.addrport, "--insecure", "--noreload")
    return 0
