"""The controlled-substance log and reconciliation list every row (the ledger only adds up whole), but name a
patient only to staff who may open that patient's chart; the medical director, who answers for the DEA
registration's records, sees every name. Pages, CSV, API and the command-line export alike."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from ketamine_clinic.access import HIDDEN_PATIENT
from ketamine_clinic.cli import main as cli


@pytest.fixture
def ledger_world(db):
    """Two patients in induction (dosed through the demo chain), and a nurse on the first one's team only."""
    from ketamine_clinic.accounts.models import Role, User
    from ketamine_clinic.demo.clinic import DemoClinic, seed_registry, steps

    clinic = DemoClinic(now=timezone.now())
    seed_registry(clinic)
    clinic.patients = [p for p in clinic.patients if p.phase == "induction"][:2]
    for step in steps(through="inventory"):
        step(clinic)
    from ketamine_clinic.inventory.models import LedgerEntry

    dosed = sorted({e.session.patient for e in LedgerEntry.objects.filter(kind="administered")}, key=lambda p: p.pk)
    assert len(dosed) == 2, "the demo chain gives two dosed patients"
    nurse = User.objects.create_user(username="ledger_nurse", password="x-password-12", role=Role.NURSE)
    dosed[0].careteammember_set.create(user=nurse)
    return clinic, nurse, dosed


def _range():
    today = timezone.localdate()
    return {"start": (today - dt.timedelta(days=120)).isoformat(), "end": today.isoformat()}


@pytest.mark.django_db
def test_pages_name_only_the_patients_the_nurse_may_open(ledger_world, client_as):
    clinic, nurse, (mine, theirs) = ledger_world
    for url in ("/inventory/log/", "/inventory/reconciliation/"):
        page = client_as(nurse).get(url, _range()).content.decode()
        assert mine.last_name in page, url
        assert theirs.last_name not in page and theirs.mrn not in page, url
        assert HIDDEN_PATIENT in page, url  # the row is there, without the name
        director = client_as(clinic.first("director")).get(url, _range()).content.decode()
        assert mine.last_name in director and theirs.last_name in director, url


@pytest.mark.django_db
def test_csv_api_and_command_line_follow_the_same_rule(ledger_world, client_as, capsys):
    clinic, nurse, (mine, theirs) = ledger_world
    rows = list(csv.DictReader(io.StringIO(
        client_as(nurse).get("/inventory/log/", {**_range(), "format": "csv"}).content.decode())))
    named = {r["patient_mrn"] for r in rows if r["session"]}
    assert named == {mine.mrn, ""}
    assert {r["patient"] for r in rows if r["session"] and not r["patient_mrn"]} == {HIDDEN_PATIENT}

    api = client_as(nurse).get("/api/inventory/reconciliation", _range()).json()
    assert {r["patient_id"] for r in api} == {mine.pk, None}
    everyone = client_as(clinic.first("director")).get("/api/inventory/reconciliation", _range()).json()
    assert {r["patient_id"] for r in everyone} == {mine.pk, theirs.pk}
    assert len(everyone) == len(api)  # the same rows, names withheld

    assert cli(["export", "inventory-log", "--as", "ledger_nurse", "--start", _range()["start"],
                "--end", _range()["end"]]) == 0
    out = capsys.readouterr().out
    assert mine.mrn in out and theirs.mrn not in out and HIDDEN_PATIENT in out
