"""PostgreSQL: many nurses drawing from one lot at the same moment can never overdraw it.

Each thread has its own database connection and transaction; the chain-head row lock makes the balance
check and the append happen one at a time, so exactly as many draws succeed as the stock covers.
"""

import threading

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection

from ketamine_clinic.sessions import custody

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith(("postgresql", "postgis"))

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL row locks and concurrent writers"),
    pytest.mark.django_db(transaction=True),
]

THREADS = 12


def test_simultaneous_draws_never_overdraw_one_lot(stocked, safe, staff, make_patient, make_session):
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import LedgerEntry

    # 2000 mg in the safe = 4 vials; 12 nurses each try to draw a 500 mg vial at once.
    sessions = [make_session(make_patient(care_team=[staff["nurse"]])) for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def draw(session):
        try:
            barrier.wait()
            custody.draw(
                actor=staff["nurse"], session=session, lot=stocked, location=safe, quantity_mcg=500_000
            )
            result = "drawn"
        except ValidationError as exc:
            result = "refused: " + " ".join(exc.messages)
        except Exception as exc:  # noqa: BLE001 - any other failure is reported by the assertion below
            result = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=draw, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(o.split(":")[0] for o in outcomes) == ["drawn"] * 4 + ["refused"] * (THREADS - 4), outcomes
    assert all("Not enough" in o for o in outcomes if o.startswith("refused"))
    assert services.stock_of(stocked.pk, safe.pk) == 0
    assert LedgerEntry.objects.filter(kind="drawn").count() == 4
    assert list(LedgerEntry.objects.values_list("sequence", flat=True)) == list(range(1, 6))
    assert services.verify_ledger().ok
