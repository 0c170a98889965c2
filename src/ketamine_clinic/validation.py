"""Turning form validation into API errors, so pages and API share one set of rules."""

from django.core.exceptions import ValidationError


def form_error_dict(form) -> dict[str, list[str]]:
    return {field: [e["message"] for e in errors] for field, errors in form.errors.get_json_data().items()}


def raise_if_invalid(form) -> None:
    """Raise ValidationError (the API answers 422 naming each field) unless ``form`` is valid."""
    if not form.is_valid():
        raise ValidationError(form_error_dict(form))
