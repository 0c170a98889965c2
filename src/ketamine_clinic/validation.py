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


def save_posted(request, form, action, *, done, then):
    """A page's form action, in one place: when ``form`` was posted and is valid, ``action(form.cleaned_data)``
    calls the service. A refusal goes on the form (:func:`apply_errors`) and None is returned, so the page shows
    the form again with what was typed. On success ``done`` (text, or a function of the service's result) is
    flashed and the answer is a redirect to ``then``: a URL or URL name, a (URL name, args...) tuple, or a function
    of the result giving one of those.
    """
    from django.contrib import messages
    from django.shortcuts import redirect

    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = action(form.cleaned_data)
    except ValidationError as exc:
        apply_errors(form, exc)
        return None
    if done:
        messages.success(request, done(result) if callable(done) else done)
    target = then(result) if callable(then) else then
    return redirect(*target) if isinstance(target, tuple) else redirect(target)
