"""Staff administration API, the medical director's (the same rules as the staff pages: accounts/staff.py)."""

from django.db import transaction
from django.http import Http404
from ninja import Router, Schema
from ninja.responses import Status

from ketamine_clinic import access, audit

from . import services, staff

router = Router(tags=["staff"])


class StaffOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    role: str
    credentials: str
    is_active: bool
    two_factor: bool
    two_factor_required: bool
    locked_out: bool


class StaffIn(Schema):
    username: str
    role: str
    password: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    credentials: str = ""


class StaffPatch(Schema):
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    role: str | None = None
    credentials: str | None = None
    is_active: bool | None = None


def _out(member) -> dict:
    return {
        **{f: getattr(member, f) for f in ("id", "username", "first_name", "last_name", "email", "role",
                                           "credentials", "is_active")},
        "two_factor": services.has_two_factor(member),
        "two_factor_required": services.mfa_required(member),
        "locked_out": services.is_locked_out(member),
    }


def _member(staff_id: int):
    member = staff.staff_members().filter(pk=staff_id).first()
    if member is None:
        raise Http404("No such staff member.")
    return member


@router.get("/", response=list[StaffOut], summary="Every staff account (director)")
def list_staff(request):
    access.require(request.user, "staff_admin", "read")
    members = list(staff.staff_members())
    audit.record(request, "list", detail={"staff_accounts": len(members)})
    return [_out(m) for m in members]


@router.post("/", response={201: StaffOut}, summary="Add a staff account (director)")
def add_staff(request, payload: StaffIn):
    member = staff.add_staff(request, **payload.dict())
    return Status(201, _out(member))


@router.get("/{staff_id}", response=StaffOut, summary="One staff account (director)")
def get_staff(request, staff_id: int):
    access.require(request.user, "staff_admin", "read")
    return _out(_member(staff_id))


@router.patch("/{staff_id}", response=StaffOut,
              summary="Change a staff account: names, email, role, credentials, active (director)")
def change_staff(request, staff_id: int, payload: StaffPatch):
    access.require(request.user, "staff_admin", "write")
    member = _member(staff_id)
    changes = payload.dict(exclude_unset=True)
    active = changes.pop("is_active", None)
    with transaction.atomic():  # both or neither: a refused deactivation takes the role change back
        staff.change_staff(request, member, **changes)
        if active is not None:
            staff.set_active(request, member, active)
    member.refresh_from_db()
    return _out(member)
