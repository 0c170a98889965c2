"""Who gets a patient's FHIR Bundle, through the API, the chart page and the command line, and that every
export is on the audit log (issue 16 item 2)."""

import json

import pytest
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.cli import main


def api(patient):
    return f"/api/fhir/patient/{patient.pk}/bundle"


@pytest.fixture
def pair(staff, make_patient):
    """A on the prescriber's, nurse's and therapist's team, B on nobody's; both with portal logins."""
    a = make_patient(care_team=[staff["prescriber"], staff["nurse"], staff["therapist"]], with_login=True,
                     allergies="Penicillin (rash)\nLatex")
    b = make_patient(with_login=True)
    return a, b


def _patient_of(body: bytes) -> dict:
    bundle = Bundle.model_validate_json(body)
    return next(e.resource for e in bundle.entry if e.resource.get_resource_type() == "Patient")


def test_a_patient_gets_only_their_own_bundle(pair, client_as):
    a, b = pair
    client = client_as(a.user)
    answer = client.get(api(a))
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/fhir+json"
    assert _patient_of(answer.content).identifier[0].value == a.mrn
    assert client.get(api(b)).status_code == 404


@pytest.mark.parametrize("role", ["prescriber", "nurse", "therapist"])
def test_the_care_team_gets_it_and_it_is_audited(pair, staff, client_as, role):
    a, _ = pair
    answer = client_as(staff[role]).get(api(a))
    assert answer.status_code == 200
    event = AuditEvent.objects.get(action="export", patient=a, username=staff[role].username)
    assert event.detail["export"] == "FHIR bundle" and event.detail["via"] == "API"
    assert event.detail["resources"] == len(json.loads(answer.content)["entry"])


@pytest.mark.parametrize("role", ["other_prescriber", "other_nurse", "other_therapist"])
def test_staff_off_the_care_team_get_404_and_it_is_audited(pair, staff, client_as, role):
    a, _ = pair
    assert client_as(staff[role]).get(api(a)).status_code == 404
    assert not AuditEvent.objects.filter(action="export", patient=a).exists()
    assert AuditEvent.objects.filter(action="denied", username=staff[role].username).exists()


def test_front_desk_sees_the_patient_but_not_the_clinical_record(pair, staff, client_as):
    a, _ = pair
    assert client_as(staff["front_desk"]).get(api(a)).status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()


def test_allergies_go_out_as_free_text(pair, client_as, staff):
    a, _ = pair
    bundle = json.loads(client_as(staff["prescriber"]).get(api(a)).content)
    allergies = [e["resource"]["code"] for e in bundle["entry"]
                 if e["resource"]["resourceType"] == "AllergyIntolerance"]
    assert allergies == [{"text": "Penicillin (rash)"}, {"text": "Latex"}]


def test_chart_page_links_the_download_and_it_is_audited(pair, staff, client_as):
    a, _ = pair
    client = client_as(staff["prescriber"])
    url = reverse("interop:patient_bundle", args=[a.pk])
    assert url in client.get(reverse("patients:chart", args=[a.pk])).content.decode()
    # Front desk opens the chart but not the clinical record: no link for them.
    assert url not in client_as(staff["front_desk"]).get(reverse("patients:chart", args=[a.pk])).content.decode()
    answer = client.get(url)
    assert answer.status_code == 200
    assert answer["Content-Disposition"] == f'attachment; filename="{a.mrn}-fhir-bundle.json"'
    assert _patient_of(answer.content).identifier[0].value == a.mrn
    assert AuditEvent.objects.get(action="export", patient=a).detail["via"] == "chart page"


def test_command_line_export(pair, staff, tmp_path, capsys):
    a, _ = pair
    out = tmp_path / "bundle.json"
    assert main(["export", "fhir", "--as", staff["prescriber"].username, "--patient", a.mrn, "-o", str(out)]) == 0
    assert _patient_of(out.read_bytes()).identifier[0].value == a.mrn
    event = AuditEvent.objects.get(action="export", patient=a)
    assert event.username == staff["prescriber"].username and event.detail["via"] == "command line"


@pytest.mark.parametrize("who, mrn, says", [
    ("prescriber", "NO-SUCH-MRN", "there is no patient 'NO-SUCH-MRN'"),
    # Off the care team: the same words as an unknown MRN, so the command reveals nothing.
    ("other_prescriber", "A", "there is no patient"),
    ("front_desk", "A", "may not read clinical records"),
    ("prescriber", None, "fhir needs --patient MRN"),
])
def test_command_line_refusals_exit_2(pair, staff, tmp_path, capsys, who, mrn, says):
    a, _ = pair
    out = tmp_path / "bundle.json"
    argv = ["export", "fhir", "--as", staff[who].username, "-o", str(out)]
    if mrn:
        argv += ["--patient", a.mrn if mrn == "A" else mrn]
    assert main(argv) == 2
    assert says in capsys.readouterr().err
    assert not out.exists()
    assert not AuditEvent.objects.filter(action="export").exists()


def test_command_line_unknown_user_exits_2(pair, capsys):
    a, _ = pair
    assert main(["export", "fhir", "--as", "nobody", "--patient", a.mrn]) == 2
    assert "there is no active user 'nobody'" in capsys.readouterr().err
