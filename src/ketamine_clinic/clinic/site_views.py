"""The clinic setting page: the medical director keeps the setting's details and records its SPRAVATO REMS
certification (esketamine is booked and dosed only once it is recorded: core.safety.rems)."""

from django.shortcuts import render

from ketamine_clinic import access
from ketamine_clinic.validation import save_posted

from . import services
from .site_forms import RemsCertificationForm, SiteForm

DETAILS, CERTIFICATION = "details", "certification"


def _forms(site, request=None, posted: str = ""):
    data = request.POST if request is not None else None
    details = SiteForm(data if posted == DETAILS else None, instance=site, prefix=DETAILS)
    certification = RemsCertificationForm(
        data if posted == CERTIFICATION else None, prefix=CERTIFICATION,
        initial={"setting_id": site.rems_setting_id, "certified_on": site.rems_certified_on},
    )
    return details, certification


@access.staff_view("clinic_settings")
def site_setting(request):
    site = services.current_site()
    may_edit = access.can(request.user, "clinic_settings", access.WRITE)
    posted = request.POST.get("form", "") if request.method == "POST" else ""
    details, certification = _forms(site, request, posted)
    if posted == DETAILS:
        # The form's instance is the site itself: give the service the typed values, not a half-changed row.
        saved = save_posted(request, details, lambda data: services.update_site(
            request, services.current_site(), **{k: data[k] for k in services.SITE_FIELDS}),
            done="Clinic setting saved.", then="clinic:site")
    elif posted == CERTIFICATION:
        saved = save_posted(request, certification, lambda data: services.record_rems_certification(
            request, site, data["setting_id"], data["certified_on"]),
            done="SPRAVATO REMS certification recorded.", then="clinic:site")
    else:
        saved = None
    if saved:
        return saved
    context = {"site": services.current_site(), "details_form": details, "certification_form": certification,
               "may_edit": may_edit}
    return render(request, "clinic/site.html", context, status=400 if posted else 200)
