"""``ketamine-clinic export WHAT --as USERNAME ...``: the clinic's compliance exports as CSV, for scripts.

    export inventory-log --as director --start 2026-11-01 --end 2026-11-30 [--kind wasted] [-o log.csv]
    export inventory     --as director [--as-of 2026-11-30T18:00] [-o inventory.csv]
    export audit         --as director --start 2026-11-01 --end 2026-11-30 [--patient MRN] [--user NAME]
    export fhir          --as prescriber --patient MRN [-o bundle.json]   (one patient's record, FHIR R4 JSON)
    export billing       --as frontdesk --start 2026-11-01 --end 2026-11-30 [-o billing.csv]  (sessions with codes)
    export rems          --as nurse --start 2026-11-01 --end 2026-11-30 -o DIR
                         (one SPRAVATO REMS Patient Monitoring Form PDF per esketamine session, and index.csv)

The same rows as the pages' CSV buttons. ``--as`` names the staff member responsible for the export: their
role must be allowed that area (the controlled-substance records, or the audit log), exactly as on the
pages, and the export is written to the audit log under their name. Bad dates, an unknown user or a role
without access exit with status 2 and a message; nothing is written then.
"""

from __future__ import annotations

import datetime as dt
import sys

from . import CommandError, django_setup

AREAS = {"inventory-log": "inventory", "inventory": "inventory", "audit": "audit", "fhir": "clinical",
         "rems": "clinical", "billing": "billing"}


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date; use YYYY-MM-DD.") from None


def _moment(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date and time; use YYYY-MM-DDTHH:MM.") from None
    return value


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "export",
        help="export the controlled-substance log, the inventory or the audit log as CSV",
        description=__doc__.split("\n\n", 1)[0],
    )
    p.add_argument("what", choices=sorted(AREAS), help="which record to export")
    p.add_argument("--as", dest="username", required=True, help="username of the staff member exporting")
    p.add_argument("--start", help="first clinic day, YYYY-MM-DD (inventory-log, audit)")
    p.add_argument("--end", help="last clinic day, YYYY-MM-DD (inventory-log, audit)")
    p.add_argument("--as-of", help="inventory at this moment, YYYY-MM-DDTHH:MM clinic time (default: now)")
    p.add_argument("--kind", help="inventory-log: only this movement (received, drawn, administered, wasted ...)")
    p.add_argument("--patient", help="audit: only this patient's MRN; fhir: the patient to export")
    p.add_argument("--user", help="audit: only this username's actions")
    p.add_argument("-o", "--output", help="write to this file instead of standard output (rems: a folder)")
    p.set_defaults(func=run)


def _date_range(args) -> tuple[dt.date, dt.date]:
    if not args.start or not args.end:
        raise CommandError(f"{args.what} needs --start and --end (YYYY-MM-DD).")
    start, end = _date(args.start), _date(args.end)
    if start > end:
        raise CommandError("--start must not be after --end.")
    return start, end


def _rows(args, user):
    """(header, rows, audit detail) for the export asked for."""
    from django.utils import timezone

    if args.what == "inventory-log":
        from ketamine_clinic.inventory import exports
        from ketamine_clinic.inventory.models import LedgerEntry

        start, end = _date_range(args)
        kinds = None
        if args.kind:
            known = [value for value, _ in LedgerEntry._meta.get_field("kind").choices]
            if args.kind not in known:
                raise CommandError(f"unknown movement {args.kind!r}; known: {', '.join(known)}.")
            kinds = [args.kind]
        rows = exports.log_rows(user, start, end, kinds=kinds)
        detail = {"export": "inventory log", "start": str(start), "end": str(end), "kind": args.kind or ""}
        return exports.LOG_HEADER, rows, detail
    if args.what == "billing":
        from django.core.exceptions import ValidationError

        from ketamine_clinic.billing import services as billing
        from ketamine_clinic.validation import error_text

        start, end = _date_range(args)
        try:
            header, rows = billing.export_rows(user, start, end)
        except ValidationError as exc:
            raise CommandError(error_text(exc)) from None
        return header, rows, {"export": "billing codes", "start": str(start), "end": str(end)}
    if args.what == "inventory":
        from ketamine_clinic.inventory import exports

        as_of = timezone.now()
        if args.as_of:
            as_of = _moment(args.as_of)
            if timezone.is_naive(as_of):
                as_of = timezone.make_aware(as_of)
            as_of = exports.through_the_minute(as_of)  # as on the page
        rows = exports.inventory_rows(as_of)
        return exports.INVENTORY_HEADER, rows, {"export": "inventory report", "as_of": as_of.isoformat()}
    from ketamine_clinic.audit import exports

    start, end = _date_range(args)
    events = exports.filter_events(
        {"patient": args.patient, "user": args.user, "date_from": start, "date_to": end}
    )
    rows = [exports.row(e) for e in events]
    detail = {"export": "audit log", "start": str(start), "end": str(end)}
    detail.update({k: v for k, v in (("patient", args.patient), ("user", args.user)) if v})
    return exports.HEADER, rows, detail


def _fhir(args, user) -> int:
    """One patient's record as a FHIR Bundle (ketamine_clinic.interop): the same checks and audit as the pages."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from ketamine_clinic.interop import services
    from ketamine_clinic.patients.models import Patient

    if not args.patient:
        raise CommandError("fhir needs --patient MRN.")
    patient = Patient.objects.filter(mrn=args.patient).first()
    # An MRN the user may not open gets the same answer as an unknown one (nothing about the patient leaks).
    try:
        if patient is None:
            raise Http404
        body = services.export_patient(user, patient, via="command line")
    except Http404:
        raise CommandError(f"there is no patient {args.patient!r} among {user.username}'s patients.") from None
    except PermissionDenied:
        raise CommandError(f"{user.username} ({user.get_role_display()}) may not read clinical records.") from None
    if not args.output:
        sys.stdout.write(body + "\n")
        return 0
    try:
        with open(args.output, "w", encoding="utf-8") as stream:
            stream.write(body + "\n")
    except OSError as exc:
        raise CommandError(f"cannot write {args.output}: {exc.strerror}.") from None
    print(f"FHIR bundle of {patient.mrn} written to {args.output}", file=sys.stderr)
    return 0


REMS_INDEX = ["session_id", "treatment_date", "mrn", "patient", "dose", "lot_number", "signed", "missing",
              "due_on", "submitted_on", "confirmation", "file"]


def _rems(args, user) -> int:
    """One REMS form PDF per esketamine session of the range, and index.csv, in the folder -o names."""
    from pathlib import Path

    from django.core.exceptions import PermissionDenied

    from ketamine_clinic.csv_export import write_csv
    from ketamine_clinic.sessions.services import rems

    start, end = _date_range(args)
    if not args.output:
        raise CommandError("rems needs -o DIR (the folder for the PDFs and index.csv).")
    folder = Path(args.output)
    if folder.exists() and not folder.is_dir():
        raise CommandError(f"{folder} is a file; -o names a folder for rems.")
    try:
        sessions = list(rems.sessions_between(user, start, end))
    except PermissionDenied:
        raise CommandError(f"{user.username} ({user.get_role_display()}) may not read REMS forms.") from None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"cannot create {folder}: {exc.strerror}.") from None
    rows = []
    for session in sessions:
        values, body = rems.pdf(user, session, via="command line")
        name = f"rems-{values['treatment_date']}-{session.patient.mrn}-session{session.pk}.pdf"
        try:
            (folder / name).write_bytes(body)
        except OSError as exc:
            raise CommandError(f"cannot write {folder / name}: {exc.strerror}.") from None
        rows.append([
            session.pk, values["treatment_date"], session.patient.mrn,
            f"{session.patient.last_name}, {session.patient.first_name}", values["dose_box"] or "",
            values["lot_number"] or "", "yes" if values["signed"] else "no", "; ".join(values["missing"]),
            values["due_on"] or "", values["submitted_on"] or "", values["submission_confirmation"], name,
        ])
    with open(folder / "index.csv", "w", newline="", encoding="utf-8") as stream:
        write_csv(stream, REMS_INDEX, rows)
    print(f"{len(rows)} REMS forms written to {folder}", file=sys.stderr)
    return 0


def run(args) -> int:
    django_setup()
    from ketamine_clinic import access, audit
    from ketamine_clinic.accounts.models import User
    from ketamine_clinic.csv_export import write_csv

    user = User.objects.filter(username=args.username, is_active=True).first()
    if user is None:
        raise CommandError(f"there is no active user {args.username!r}.")
    area = AREAS[args.what]
    if args.what == "fhir":
        return _fhir(args, user)
    if args.what == "rems":
        return _rems(args, user)
    if not access.can(user, area, "read"):
        raise CommandError(f"{user.username} ({user.get_role_display()}) may not read the {area} records.")
    header, rows, detail = _rows(args, user)
    detail.update(rows=len(rows), via="command line")
    stream = sys.stdout
    if args.output:
        try:
            stream = open(args.output, "w", newline="", encoding="utf-8")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise CommandError(f"cannot write {args.output}: {exc.strerror}.") from None
    # Audited before a byte leaves: an export cut short (a closed pipe, a full disk) is still on record.
    audit.record(user, "export", detail=detail)
    try:
        write_csv(stream, header, rows)
    finally:
        if stream is not sys.stdout:
            stream.close()
    if args.output:
        print(f"{len(rows)} rows written to {args.output}", file=sys.stderr)
    return 0
