from django import template

from ketamine_clinic.core.inventory import format_mg

register = template.Library()


@register.filter
def mg(mcg):
    """Integer micrograms -> "37.5 mg"."""
    if mcg is None or mcg == "":
        return ""
    return format_mg(int(mcg))
