"""Staff administration, the medical director's: add staff accounts, change their role and details, deactivate
and reactivate them, set a new password, reset two-factor sign-in, lift a lockout.

Accounts are never deleted: a deactivated account cannot sign in (Django refuses an inactive user at login and
on every request, so a signed-in session ends at its next page), and everything it wrote keeps its name. Every
change is audited. Pages, the API and the ``ketamine-clinic staff`` command all come through here.
"""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from ketamine_clinic import access, audit

from . import services
from .models import STAFF_ROLES, Role, User

EDITABLE = ("first_name", "last_name", "email", "role", "credentials")


def _require_director(actor) -> None:
    """The director's pages and API check here; the command line (``actor`` None: whoever runs the server's
    commands already holds the database) is audited without a user."""
    if actor is not None:
        access.require(audit.acting_user(actor), "staff_admin", "write")


def staff_members():
    return User.objects.filter(role__in=[r.value for r in STAFF_ROLES]).order_by("-is_active", "role", "last_name")


def _check_role(role: str) -> None:
    if role not in {r.value for r in STAFF_ROLES}:
        choices = ", ".join(r.value for r in STAFF_ROLES)
        raise ValidationError({"role": f"Choose a staff role ({choices}); patients get their login in the portal."})


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None


def _active_directors_besides(member: User) -> int:
    return User.objects.filter(role=Role.DIRECTOR, is_active=True).exclude(pk=member.pk).count()


def _check_not_last_director(member: User, what: str) -> None:
    if member.role == Role.DIRECTOR and member.is_active and _active_directors_besides(member) == 0:
        raise ValidationError({"role": f"{member.display_name()} is the clinic's only active medical director: "
                                       f"add another director before you {what}."})


def add_staff(actor, *, username: str, role: str, password: str, first_name: str = "", last_name: str = "",
              email: str = "", credentials: str = "") -> User:
    """A new staff account with a first password the person changes (Django's password rules apply)."""
    _require_director(actor)
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": "Give the username the person signs in with."})
    _check_role(role)
    user = User(username=username, role=role, first_name=first_name.strip(), last_name=last_name.strip(),
                email=email.strip(), credentials=credentials.strip())
    try:
        user.full_clean(exclude=["password"], validate_unique=False)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": f"The username {username!r} is taken; choose another."})
    _check_password(password, user)
    user.set_password(password)
    with transaction.atomic():
        user.save()
        audit.record(actor, "create", user, detail={"staff_added": username, "role": role})
    return user


def change_staff(actor, member: User, **changes) -> list[str]:
    """Change a staff member's names, email, role or credentials; returns the fields that changed."""
    _require_director(actor)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError({unknown[0]: "This cannot be changed here."})
    if member.role not in {r.value for r in STAFF_ROLES}:
        raise ValidationError({"role": "This is a patient's login, not a staff account."})
    changed = [name for name, value in changes.items() if value is not None and getattr(member, name) != value]
    if "role" in changed:
        _check_role(changes["role"])
        if audit.acting_user(actor) is not None and audit.acting_user(actor).pk == member.pk:
            raise ValidationError({"role": "You cannot change your own role; another director can."})
        _check_not_last_director(member, "change this role")
    before = {name: getattr(member, name) for name in changed}
    for name in changed:
        setattr(member, name, changes[name].strip() if isinstance(changes[name], str) else changes[name])
    try:
        member.full_clean(exclude=["password", "username"], validate_unique=False)
    except ValidationError as exc:
        for name, value in before.items():
            setattr(member, name, value)
        raise ValidationError(exc.message_dict) from None
    if changed:
        with transaction.atomic():
            member.save(update_fields=changed)
            audit.record(actor, "update", member,
                         detail={"staff": member.username, "fields": changed,
                                 **({"role_from": before["role"], "role_to": member.role} if "role" in changed
                                    else {})})
    return changed


def set_active(actor, member: User, active: bool) -> bool:
    """Deactivate (no more sign-in; the history keeps the name) or reactivate. False if nothing changed."""
    _require_director(actor)
    if member.is_active == active:
        return False
    if not active:
        if audit.acting_user(actor) is not None and audit.acting_user(actor).pk == member.pk:
            raise ValidationError({"active": "You cannot deactivate your own account; another director can."})
        _check_not_last_director(member, "deactivate this account")
    member.is_active = active
    with transaction.atomic():
        member.save(update_fields=["is_active"])
        audit.record(actor, "update", member,
                     detail={"staff": member.username, "active": active})
    return True


def set_password(actor, member: User, password: str) -> None:
    """The director sets a new password (the person forgot theirs); the old one stops working at once."""
    _require_director(actor)
    _check_password(password, member)
    member.set_password(password)
    with transaction.atomic():
        member.save(update_fields=["password"])
        audit.record(actor, "update", member, detail={"staff": member.username, "password_set": True})


def reset_two_factor(actor, member: User) -> int:
    _require_director(actor)
    return services.reset_mfa(member, by=actor)


def unlock(actor, member: User) -> int:
    _require_director(actor)
    return services.unlock(member, by=actor)
