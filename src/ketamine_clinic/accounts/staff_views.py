"""The medical director's staff pages: the list, add, and one person's page (details, password, actions).
Each view loads one account and makes one call to accounts/staff.py."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from ketamine_clinic import access, audit
from ketamine_clinic.validation import apply_errors, save_posted

from . import services, staff
from .staff_forms import NewPasswordForm, NewStaffForm, StaffActionForm, StaffDetailsForm


def _member(staff_id):
    member = staff.staff_members().filter(pk=staff_id).first()
    if member is None:
        raise Http404("No such staff member.")
    return member


def _row(member):
    return {
        "member": member,
        "two_factor": services.has_two_factor(member),
        "two_factor_required": services.mfa_required(member),
        "locked": services.is_locked_out(member),
    }


@access.staff_view("staff_admin")
def staff_list(request):
    rows = [_row(m) for m in staff.staff_members()]
    audit.record(request, "list", detail={"staff_accounts": len(rows)})
    return render(request, "accounts/staff_list.html", {"rows": rows})


@access.staff_view("staff_admin", "write")
def staff_create(request):
    form = NewStaffForm(request.POST or None)
    saved = save_posted(
        request, form, lambda data: staff.add_staff(request, **data),
        done=lambda member: f"Added {member.display_name()} ({member.get_role_display()}).",
        then=lambda member: ("staff:detail", member.pk),
    )
    if saved:
        return saved
    return render(request, "accounts/staff_form.html", {"form": form})


def _detail(request, member, *, details=None, password=None, action=None, status=200):
    member.refresh_from_db()
    context = {
        **_row(member),
        "details_form": details or StaffDetailsForm(initial={f: getattr(member, f) for f in staff.EDITABLE}),
        "password_form": password or NewPasswordForm(),
        "action_form": action or StaffActionForm(),
        "care_team_patients": member.careteammember_set.count(),
        "is_self": member.pk == request.user.pk,
    }
    return render(request, "accounts/staff_detail.html", context, status=status)


@access.staff_view("staff_admin")
def staff_detail(request, staff_id):
    """One staff member's page; a POST saves the details form."""
    member = _member(staff_id)
    if request.method != "POST":
        return _detail(request, member)
    form = StaffDetailsForm(request.POST)
    saved = save_posted(
        request, form, lambda data: staff.change_staff(request, member, **data),
        done=lambda changed: "Saved." if changed else "Nothing changed.", then=("staff:detail", member.pk),
    )
    if saved:
        return saved
    return _detail(request, member, details=form, status=400)


@access.staff_view("staff_admin", "write")
def staff_password(request, staff_id):
    member = _member(staff_id)
    form = NewPasswordForm(request.POST)
    saved = save_posted(
        request, form, lambda data: staff.set_password(request, member, data["password"]),
        done=f"New password set for {member.display_name()}. Give it to them in person.",
        then=("staff:detail", member.pk),
    )
    if saved:
        return saved
    return _detail(request, member, password=form, status=400)


@access.staff_view("staff_admin", "write")
def staff_action(request, staff_id):
    member = _member(staff_id)
    form = StaffActionForm(request.POST)
    if not form.is_valid():
        return _detail(request, member, action=form, status=400)
    action = form.cleaned_data["action"]
    try:
        if action in ("deactivate", "reactivate"):
            changed = staff.set_active(request, member, action == "reactivate")
            done = f"{member.display_name()} {'can sign in again' if action == 'reactivate' else 'can no longer sign in'}."
            messages.success(request, done if changed else "Nothing changed.")
        elif action == "reset_two_factor":
            removed = staff.reset_two_factor(request, member)
            messages.success(request, f"Two-factor sign-in reset ({removed} device(s) removed): "
                                      f"{member.display_name()} sets it up again at the next sign-in.")
        else:
            staff.unlock(request, member)
            messages.success(request, f"{member.display_name()} may try to sign in again.")
    except ValidationError as exc:
        apply_errors(form, exc)
        return _detail(request, member, action=form, status=400)
    return redirect("staff:detail", member.pk)
