"""Small display helpers of the inventory pages (counts, discrepancies, paginated lists)."""

from django import template

from ketamine_clinic.core.inventory import format_mg

register = template.Library()


@register.filter
def difference(mcg):
    """A count's difference against the ledger in plain words: "500 mg short", "500 mg over", "matches"."""
    if mcg is None or mcg == "":
        return ""
    mcg = int(mcg)
    if mcg == 0:
        return "matches"
    return f"{format_mg(abs(mcg))} {'short' if mcg < 0 else 'over'}"


@register.filter
def named_for(patient, names):
    """The patient as this page's user may see them: "Last, First" or "Patient not on your care team"
    (``names`` is the view's access.PatientNames)."""
    return names.name(patient)


@register.filter
def mrn_for(patient, names):
    return names.mrn(patient)


@register.simple_tag(takes_context=True)
def page_url(context, number):
    """The current list's query string (filters kept) with ``page`` set to ``number``."""
    query = context["request"].GET.copy()
    query.pop("format", None)
    query["page"] = number
    return "?" + query.urlencode()
