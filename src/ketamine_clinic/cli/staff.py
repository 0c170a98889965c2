"""``ketamine-clinic staff``: staff accounts from the server's command line, for the clinic's first medical
director (before anyone can sign in) and for the server's operator. The same rules as the director's staff pages
(accounts/staff.py); changes are audited with no signed-in user, as the command line's.

    ketamine-clinic staff list
    ketamine-clinic staff add --username aokafor --role director --first-name Ada --last-name Okafor --credentials MD
    ketamine-clinic staff set-password aokafor
    ketamine-clinic staff deactivate jdoe | reactivate jdoe

Passwords are read from the terminal (not echoed, asked twice) or, for scripts, one line from standard input
with ``--password-stdin``; never from the command line, where other users of the machine could read it.
"""

import getpass
import sys

from . import CommandError, django_setup


def register(subparsers):
    parser = subparsers.add_parser("staff", help="List, add, deactivate staff accounts; set a password.")
    actions = parser.add_subparsers(dest="staff_action", metavar="ACTION", required=True)
    actions.add_parser("list", help="Every staff account, its role and state.").set_defaults(func=run_list)
    add = actions.add_parser("add", help="Add a staff account (e.g. the clinic's first medical director).")
    add.add_argument("--username", required=True)
    add.add_argument("--role", required=True, help="director, prescriber, nurse, therapist or front_desk")
    add.add_argument("--first-name", default="")
    add.add_argument("--last-name", default="")
    add.add_argument("--email", default="")
    add.add_argument("--credentials", default="", help='shown on notes and ledger entries, e.g. "RN"')
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(func=run_add)
    password = actions.add_parser("set-password", help="Set a new password for a staff account.")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    password.set_defaults(func=run_set_password)
    for name, active in (("deactivate", False), ("reactivate", True)):
        sub = actions.add_parser(name, help=f"{name.capitalize()} a staff account (history is kept).")
        sub.add_argument("username")
        sub.set_defaults(func=run_set_active, active=active)


def _password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise CommandError("no terminal to ask the password on: use --password-stdin")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise CommandError("the two passwords are not the same; nothing was changed")
    return first


def _refusal(exc) -> CommandError:
    from ketamine_clinic.validation import NON_FIELD, error_messages

    messages = error_messages(exc).items()
    return CommandError("; ".join(" ".join(m) if field == NON_FIELD else f"{field}: {' '.join(m)}" for field, m in messages))


def _member(username):
    from ketamine_clinic.accounts import staff

    member = staff.staff_members().filter(username=username).first()
    if member is None:
        raise CommandError(f"no staff account has the username {username!r}")
    return member


def run_list(args) -> int:
    django_setup()
    from ketamine_clinic.accounts import staff

    for m in staff.staff_members():
        state = "active" if m.is_active else "deactivated"
        print(f"{m.username:<20} {m.role:<11} {state:<11} {m.get_full_name()}")
    return 0


def run_add(args) -> int:
    django_setup()
    from django.core.exceptions import ValidationError

    from ketamine_clinic.accounts import staff

    password = _password(args)
    try:
        member = staff.add_staff(None, username=args.username, role=args.role, password=password,
                                 first_name=args.first_name, last_name=args.last_name, email=args.email,
                                 credentials=args.credentials)
    except ValidationError as exc:
        raise _refusal(exc) from None
    print(f"Added {member.username} ({member.get_role_display()}).")
    return 0


def run_set_password(args) -> int:
    django_setup()
    from django.core.exceptions import ValidationError

    from ketamine_clinic.accounts import staff

    member = _member(args.username)
    try:
        staff.set_password(None, member, _password(args))
    except ValidationError as exc:
        raise _refusal(exc) from None
    print(f"New password set for {member.username}.")
    return 0


def run_set_active(args) -> int:
    django_setup()
    from django.core.exceptions import ValidationError

    from ketamine_clinic.accounts import staff

    member = _member(args.username)
    try:
        changed = staff.set_active(None, member, args.active)
    except ValidationError as exc:
        raise _refusal(exc) from None
    state = "active" if args.active else "deactivated"
    print(f"{member.username} is {state}." if changed else f"{member.username} was already {state}.")
    return 0
