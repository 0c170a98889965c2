"""The director's audit log reads in the clinic's words: roles and record types, not code identifiers."""

import pytest


@pytest.mark.django_db
def test_log_shows_role_and_record_names_not_code_labels(staff, make_patient, client_as):
    from ketamine_clinic.audit.models import AuditEvent

    patient = make_patient(care_team=[staff["prescriber"]])
    client_as(staff["front_desk"]).get(f"/patients/{patient.pk}/")  # audited as the front desk
    AuditEvent.objects.create(user=staff["prescriber"], username="t_prescriber", role="prescriber",
                              action="update", patient=patient, object_type="followup.BoosterSuggestion",
                              object_id="7")
    html = client_as(staff["director"]).get("/audit/").content.decode()
    assert "<td>Front desk</td>" in html
    assert "<td>front_desk</td>" not in html
    assert "booster suggestion #7" in html
    assert "followup.BoosterSuggestion" not in html
