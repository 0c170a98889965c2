import logging

from django.apps import AppConfig

log = logging.getLogger(__name__)


class FollowupConfig(AppConfig):
    name = "ketamine_clinic.followup"
    label = "followup"

    def ready(self):
        from django.db.models.signals import post_save

        # Keep booster suggestions in step with new scores and doses, after the saving transaction commits.
        post_save.connect(_schedule_refresh, sender="outcomes.MeasureResponse", dispatch_uid="followup_admin")
        post_save.connect(_schedule_refresh, sender="dosing.DosingSession", dispatch_uid="followup_session")


def _schedule_refresh(sender, instance, raw=False, **kwargs):
    if raw:  # fixtures being loaded
        return
    import functools

    from django.db import transaction

    patient_id = instance.patient_id
    # One refresh per patient per transaction (seeding saves many scores in one block).
    queued = getattr(transaction.get_connection(), "run_on_commit", [])
    if any(getattr(entry[1], "followup_patient_id", None) == patient_id for entry in queued):
        return
    callback = functools.partial(_refresh, patient_id)
    callback.followup_patient_id = patient_id
    transaction.on_commit(callback)


def _refresh(patient_id):
    """Re-run the maintenance rules for one patient. A failure here must not fail the nurse's or patient's
    save that triggered it (that work is already committed), so it is logged for the team instead."""
    from ketamine_clinic.patients.models import Patient

    from .services import refresh_suggestion

    try:
        patient = Patient.objects.get(pk=patient_id)
        if patient.phase in ("induction", "maintenance"):
            refresh_suggestion(patient)
    except Exception:  # noqa: BLE001 - see docstring
        log.exception("Could not refresh the booster suggestion of patient %s", patient_id)
