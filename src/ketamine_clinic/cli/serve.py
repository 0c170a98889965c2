"""``ketamine-clinic serve``: the production server, gunicorn with WhiteNoise serving the static files.

Stateless app servers: run as many as needed (on one machine or several) in front of one PostgreSQL database;
sessions, locks and the ledger's chain lock all live in the database. Workers and the address come from
SERVER_WORKERS / SERVER_BIND (or the options). Behind a reverse proxy that terminates TLS (see README 'Deploying').
"""

from . import CommandError, django_setup


def register(subparsers):
    parser = subparsers.add_parser("serve", help="Serve the clinic with gunicorn (the production server).")
    parser.add_argument("--bind", help="host:port to listen on (default SERVER_BIND, 127.0.0.1:8000).")
    parser.add_argument("--workers", type=int, help="gunicorn worker processes (default SERVER_WORKERS, 3).")
    parser.add_argument("--no-migrate", action="store_true", help="Do not apply pending migrations first.")
    parser.set_defaults(func=run)


def run(args) -> int:
    django_setup()
    from django.conf import settings
    from django.core.management import call_command

    workers = args.workers if args.workers is not None else settings.SERVER_WORKERS
    if workers < 1:
        raise CommandError("--workers must be at least 1.")
    bind = args.bind or settings.SERVER_BIND
    if ":" not in bind:
        raise CommandError(f"--bind must look like 127.0.0.1:8000, not {bind!r}.")
    if not args.no_migrate:
        call_command("migrate", interactive=False, verbosity=0)
    return serve(bind=bind, workers=workers)


def serve(*, bind: str, workers: int) -> int:
    """Run gunicorn in this process until it is stopped (Ctrl+C or SIGTERM)."""
    from gunicorn.app.base import BaseApplication

    from ketamine_clinic.wsgi import application

    class Server(BaseApplication):
        def load_config(self):
            for key, value in {
                "bind": bind,
                "workers": workers,
                "accesslog": "-",
                "timeout": 60,
                "graceful_timeout": 20,
                # X-Forwarded-* is trusted from the local reverse proxy only: gunicorn's default, or the proxy
                # addresses in FORWARDED_ALLOW_IPS.
            }.items():
                self.cfg.set(key, value)

        def load(self):
            return application

    from django.db import connections

    # The workers are forked from this process: a database connection left open here (migrate, the demo's seed)
    # would be one socket shared by every worker, mixing their queries' answers. Each worker opens its own.
    connections.close_all()
    Server().run()
    return 0
