"""The chart page's "Export as FHIR" download (the same Bundle as the API and the command line), and the import of a
referral's Bundle (upload, preview, confirm)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from ketamine_clinic import access

from . import importing, services
from .forms import ReferralForm


@access.patient_view("clinical")
def patient_bundle(request, patient):
    body = services.export_patient(request, patient, via="chart page")
    response = HttpResponse(body, content_type="application/fhir+json")
    response["Content-Disposition"] = f'attachment; filename="{patient.mrn}-fhir-bundle.json"'
    return response


# A referral's Bundle in: upload or paste, the preview, then confirm (the Bundle travels in the preview's form and is
# read again on confirmation: nothing of the preview is trusted).
@access.staff_view("registry", access.WRITE)
def referral_import(request):
    form = ReferralForm(request.POST or None, request.FILES or None)
    if request.method != "POST":
        return render(request, "interop/import.html", {"form": form})
    if form.is_valid():
        try:
            plan = importing.preview(request, form.cleaned_data["text"])
        except importing.BundleRefused as exc:
            return _refused(request, form, exc)
        text = form.cleaned_data["text"]
        text = text.decode("utf-8") if isinstance(text, bytes) else text
        return render(request, "interop/import_preview.html", {"plan": plan, "bundle_text": text})
    return render(request, "interop/import.html", {"form": form}, status=400)


@access.staff_view("registry", access.WRITE)
def referral_import_confirm(request):
    if request.method != "POST":
        return redirect("interop:referral_import")
    form = ReferralForm(request.POST)
    if not form.is_valid():
        return render(request, "interop/import.html", {"form": form}, status=400)
    try:
        patient, plan = importing.import_bundle(request, form.cleaned_data["text"], via="import page")
    except importing.BundleRefused as exc:
        return _refused(request, form, exc)
    messages.success(request, f"Imported the referral: {len(plan.create)} record(s) added"
                              f"{', ' + str(len(plan.already)) + ' already on the chart' if plan.already else ''}.")
    if access.can(request.user, "demographics", access.READ, patient):
        return redirect("patients:chart", patient.pk)
    return redirect("interop:referral_import")


def _refused(request, form, exc):
    form.add_error(None, "The Bundle was not imported; nothing was written. What to correct is listed below.")
    return render(request, "interop/import.html", {"form": form, "problems": exc.problems}, status=400)
