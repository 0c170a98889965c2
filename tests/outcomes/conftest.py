import pytest


@pytest.fixture
def patient(make_patient, staff):
    """A patient in induction with the prescriber (primary), nurse and therapist on the care team, with a login."""
    return make_patient(
        care_team=[staff["prescriber"], staff["nurse"], staff["therapist"]],
        with_login=True,
        phase="induction",
    )


def _form_data(answers, **extra):
    data = {f"item_{i}": str(v) for i, v in enumerate(answers, start=1) if v is not None}
    data.update(extra)
    return data


@pytest.fixture
def phq9_post():
    """phq9_post(answers) -> POST data with item_N fields (blank answers left out). Works for any instrument."""
    return _form_data
