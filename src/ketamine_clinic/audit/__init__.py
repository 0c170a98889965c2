"""The one audit path. ``record()`` is what every read and write of patient data calls."""


def acting_user(actor):
    """The logged-in user behind ``actor`` (a request or a user), or None."""
    user = getattr(actor, "user", actor)
    return user if getattr(user, "is_authenticated", False) else None


def record(actor, action, obj=None, *, patient=None, detail=None):
    """Append one audit row.

    ``actor`` is a request (user, path, method and address are taken from it) or a user (CLI, seeding).
    ``obj`` is the model instance read or written; its patient is found through ``obj.patient`` unless
    ``patient`` is given (a Patient itself counts as its own patient).
    """
    from .models import AuditEvent

    request = actor if hasattr(actor, "META") else None
    user = getattr(request, "user", None) if request is not None else actor
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if patient is None and obj is not None:
        from ketamine_clinic.patients.models import Patient

        patient = obj if isinstance(obj, Patient) else getattr(obj, "patient", None)
    return AuditEvent.objects.create(
        user=user,
        username=getattr(user, "username", "") or "",
        role=getattr(user, "role", "") or "",
        action=action,
        patient=patient,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        method=(request.method or "") if request is not None else "",
        path=request.get_full_path()[:300] if request is not None else "",
        ip_address=_client_ip(request) if request is not None else None,
        detail=shorten(detail or {}),
    )


def record_panel(request, panel: str, detail: dict):
    """The read of a dashboard panel that refreshes itself (every 30-60 s): recorded when it shows this user
    something different from the last time it was recorded for them (``detail`` names what it shows), so the log
    keeps every change of what each person was shown without a row per minute of an open screen. The first
    showing is always recorded. Returns the new row, or None for an unchanged refresh."""
    from .models import AuditEvent

    detail = shorten({"panel": panel, **detail})
    user = acting_user(request)
    last = (
        AuditEvent.objects.filter(user=user, action=AuditEvent.Action.LIST, detail__panel=panel)
        .order_by("-id").values_list("detail", flat=True).first()
    )
    if last == detail:
        return None
    return record(request, "list", detail=detail)


# Strings in an audit detail may be what someone typed (a username at the login page): one 100 KB "username" must
# not become a 100 KB audit row per try. No real value the clinic records is this long (usernames are at most 150).
DETAIL_MAX_CHARS = 150
_CUT = "…[cut]"


def shorten(value):
    """``value`` with every string in it at most DETAIL_MAX_CHARS characters, a cut one ending in "…[cut]"."""
    if isinstance(value, str):
        return value if len(value) <= DETAIL_MAX_CHARS else value[: DETAIL_MAX_CHARS - len(_CUT)] + _CUT
    if isinstance(value, dict):
        return {shorten(str(k)): shorten(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [shorten(v) for v in value]
    return value


def _client_ip(request):
    # Behind a reverse proxy set REMOTE_ADDR correctly there; X-Forwarded-For is trivially forged.
    return request.META.get("REMOTE_ADDR") or None
