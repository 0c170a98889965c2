"""Form validation and service refusals, shared by pages and API so both show one set of rules."""

from django.core.exceptions import ValidationError


def form_error_dict(form) -> dict[str, list[str]]:
    return {field: [e["message"] for e in errors] for field, errors in form.errors.get_json_data().items()}


def raise_if_invalid(form) -> None:
    """Raise ValidationError (the API answers 422 naming each field) unless ``form`` is valid."""
    if not form.is_valid():
        raise ValidationError(form_error_dict(form))


def apply_errors(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on ``form``: under the field it names, else at the top."""
    if not hasattr(exc, "error_dict"):
        for msg in exc.messages:
            form.add_error(None, msg)
        return
    for field, msgs in exc.message_dict.items():
        for msg in msgs:
            form.add_error(field if field in form.fields else None, msg)
