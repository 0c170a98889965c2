"""Memory of the clinic-wide FHIR bulk export (``GET /fhir/$export``, ``ketamine-clinic export-fhir-bulk``): the peak
Python memory (tracemalloc) while every NDJSON line of N synthetic patients is produced and dropped, then the same
for 2N patients. The export streams patient by patient, so the ratio should stay near 1 (memory bounded by one
patient's record and the staff/lot ids seen, not by the clinic); a builder that kept the clinic would show ~2.

Run on demand, never in the test suite:

    .venv/bin/python benchmarks/fhir_bulk.py                # 500 then 1,000 patients (~1 min)
    .venv/bin/python benchmarks/fhir_bulk.py --patients 5000 # 5,000 then 10,000 (the scale issue's clinic)

Synthetic data in a temporary SQLite database: each patient with two diagnoses, two allergy lines, weight and
height and three PHQ-9s with answers (so ~20 resources each). Rows are bulk-inserted (a benchmark's data, not the
demo: the demo is seeded through the services). DATABASE_URL is ignored unless --keep-database-url is given.
"""

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--patients", type=int, default=500, help="N: measured with N, then 2N patients")
    parser.add_argument("--keep-database-url", action="store_true", help="use DATABASE_URL (default: SQLite)")
    return parser.parse_args(argv)


def setup(args):
    data_dir = tempfile.mkdtemp(prefix="fhir-bulk-bench-")
    os.environ["KETAMINE_CLINIC_DATA_DIR"] = data_dir
    os.environ.pop("DJANGO_DEBUG", None)  # DEBUG keeps every query in memory: not what a clinic runs
    os.environ["KETAMINE_CLINIC_DEMO"] = "1"  # synthetic data on development keys, DEBUG off
    if not args.keep_database_url:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketamine_clinic.settings")
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    return data_dir


def add_patients(start, count):
    from django.utils import timezone

    from ketamine_clinic.outcomes.models import MeasureResponse
    from ketamine_clinic.patients.models import Diagnosis, Patient

    today = timezone.localdate()
    Patient.objects.bulk_create([
        Patient(mrn=f"BENCH{n:06d}", first_name=f"Synth{n}", last_name="Benchmark",
                date_of_birth=dt.date(1960 + n % 40, 1 + n % 12, 1 + n % 28), sex=("female", "male")[n % 2],
                allergies="Penicillin (rash)\nLatex", weight_kg=Decimal("70.0"), weight_measured_on=today,
                height_cm=Decimal("170.0"), height_measured_on=today)
        for n in range(start, start + count)
    ], batch_size=500)
    patients = list(Patient.objects.filter(mrn__startswith="BENCH").order_by("-pk")[:count])  # with their keys
    Diagnosis.objects.bulk_create([
        Diagnosis(patient=p, icd10_code=code, description=text, is_primary=primary)
        for p in patients for code, text, primary in (("F33.2", "Major depressive disorder, recurrent, severe", True),
                                                      ("F41.1", "Generalized anxiety disorder", False))
    ], batch_size=1000)
    now = timezone.now()
    MeasureResponse.objects.bulk_create([
        MeasureResponse(patient=p, instrument="phq9", answers=[2, 2, 1, 2, 1, 1, 2, 1, 0], total=12,
                        severity="Moderate", taken_at=now - dt.timedelta(days=7 * k))
        for p in patients for k in range(3)
    ], batch_size=1000)


def peak_of_export(director):
    from ketamine_clinic.interop import rest

    tracemalloc.start()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    lines = size = 0
    for _, line in rest.start_bulk_export(director, rest.bulk_types(None), via="benchmark"):
        lines += 1
        size += len(line)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, lines, size, seconds


def main(argv=None):
    args = parse_args(argv)
    data_dir = setup(args)
    from ketamine_clinic.accounts.models import Role, User

    director = User.objects.create_user(username="bench_director", password="x", role=Role.DIRECTOR)
    n = args.patients
    results = []
    # A first export of a few patients, not measured: the first use of the models and the ORM allocates once.
    warm = min(20, n)
    add_patients(0, warm)
    peak_of_export(director)
    add_patients(warm, n - warm)
    results.append((n, *peak_of_export(director)))
    add_patients(n, n)
    results.append((2 * n, *peak_of_export(director)))
    print(f"{'patients':>9} {'lines':>8} {'NDJSON MB':>10} {'seconds':>8} {'peak MB':>8}")
    for patients, peak, lines, size, seconds in results:
        print(f"{patients:>9} {lines:>8} {size / 1e6:>10.1f} {seconds:>8.1f} {peak / 1e6:>8.2f}")
    ratio = results[1][1] / results[0][1]
    print(f"peak memory ratio 2N/N: {ratio:.2f} (bounded: ~1; growing with the clinic: ~2)")
    shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
