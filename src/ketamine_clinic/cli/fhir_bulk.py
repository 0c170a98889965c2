"""``ketamine-clinic export-fhir-bulk --as USERNAME -o DIR [--type Patient,Observation]``: the whole clinic as FHIR
NDJSON, one file per resource type (``Patient.ndjson``, ``Observation.ndjson``, ...), as the Bulk Data export's
output files are. The same resources, check and audit row as ``GET /fhir/$export``: the medical director only.

Written patient by patient while it is built (memory does not grow with the clinic); into a new folder, so a
refused or failed export leaves nothing behind that looks complete.
"""

import sys
from pathlib import Path

from . import CommandError, django_setup


def register(subparsers) -> None:
    p = subparsers.add_parser("export-fhir-bulk", help="export the whole clinic as FHIR NDJSON (medical director)",
                              description=__doc__.split("\n\n", 1)[0])
    p.add_argument("--as", dest="username", required=True, help="username of the medical director exporting")
    p.add_argument("-o", "--output", required=True, help="a folder to create, one NDJSON file per resource type")
    p.add_argument("--type", dest="types", help="only these resource types, comma-separated (default: all)")
    p.set_defaults(func=run)


def run(args) -> int:
    folder = Path(args.output)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise CommandError(f"{folder} exists and is not an empty folder.")
    django_setup()
    from django.core.exceptions import PermissionDenied

    from ketamine_clinic.accounts.models import User
    from ketamine_clinic.interop import rest

    user = User.objects.filter(username=args.username, is_active=True).first()
    if user is None:
        raise CommandError(f"there is no active user {args.username!r}.")
    try:
        kinds = rest.bulk_types(args.types)
        resources = rest.start_bulk_export(user, kinds, via="command line")
    except rest.BadSearch as exc:
        raise CommandError(str(exc).replace("_type:", "--type:")) from None
    except PermissionDenied as exc:
        raise CommandError(f"{user.username} ({user.get_role_display()}): {exc}") from None
    folder.mkdir(parents=True, exist_ok=True)
    files, counts = {}, {}
    try:
        for kind, line in resources:
            if kind not in files:
                files[kind] = open(folder / f"{kind}.ndjson", "w", encoding="utf-8")  # noqa: SIM115 (one per type)
            files[kind].write(line)
            counts[kind] = counts.get(kind, 0) + 1
    finally:
        for stream in files.values():
            stream.close()
    summary = ", ".join(f"{counts[k]} {k}" for k in kinds if k in counts) or "nothing"
    print(f"{summary} written to {folder}", file=sys.stderr)
    return 0
