"""Form validation and service refusals, shared by pages and API so both show one set of rules."""

from django.core.exceptions import ValidationError


def form_error_dict(form) -> dict[str, list[str]]:
    return {field: [e["message"] for e in errors] for field, errors in form.errors.get_json_data().items()}


def raise_if_invalid(form) -> None:
    """Raise ValidationError (the API answers 422 naming each field) unless ``form`` is valid."""
    if not form.is_valid():
        raise ValidationError(form_error_dict(form))


NON_FIELD = "__all__"  # Django's key for messages that name no field


def error_messages(exc: ValidationError) -> dict[str, list[str]]:
    """A service's ValidationError as ``{field: [messages]}``; messages that name no field under ``"__all__"``.
    The one reading of a refusal: the API's 422 detail, a fragment's error list, the CLI's message."""
    return exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD: exc.messages}


def error_text(exc: ValidationError, sep: str = " ") -> str:
    """Every message of a refusal in one line, for a banner or a flash message."""
    return sep.join(m for msgs in error_messages(exc).values() for m in msgs)


def apply_errors(form, exc: ValidationError, field_names: dict[str, str] | None = None) -> None:
    """Show a service's ValidationError on ``form``: under the field it names, else at the top.

    ``field_names`` maps the service's names to the form's where they differ (a booking's ``starts_at`` is the
    session form's ``scheduled_for``)."""
    field_names = field_names or {}
    for key, msgs in error_messages(exc).items():
        field = field_names.get(key, key)
        for msg in msgs:
            form.add_error(field if field in form.fields else None, msg)
