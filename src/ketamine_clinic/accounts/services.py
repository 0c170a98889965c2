"""Staff confirming one another at the point of care: the one check behind every second signature."""

from django.core.exceptions import ValidationError

from ketamine_clinic import access


def confirm_second_person(
    user, other, password: str, *, area: str, field: str, role_words: str, may: str = ""
) -> None:
    """``other`` (a different, active staff member whose role may write in ``area``) confirms by typing their own
    password now: the second checker of a dose, the witness of waste or a count. Errors name ``field`` (the
    chooser) or ``{field}_password`` in the clinic's words; ``may`` says what the role allows ("witness
    controlled substances"), else "be the <role_words>"."""
    if other is None:
        raise ValidationError({field: f"Choose the {role_words} who checks with you."})
    if other.pk == user.pk:
        raise ValidationError({field: f"The {role_words} must be a different staff member from you."})
    if not other.is_active or not access.can(other, area, "write"):
        raise ValidationError({field: f"{other.display_name()} may not {may or 'be the ' + role_words}."})
    if not password or not other.check_password(password):
        raise ValidationError({f"{field}_password": f"The {role_words}'s password is not correct."})
