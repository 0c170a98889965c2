"""Pharmacology (pure core, no Django): exact, vectorised ketamine / esketamine PK/PD.

- ``models``: published parameter sets as data (Domino, Clements, Herd, Hornik, esketamine nasal spray) with
  citations, units, weight scaling, valid ranges, absorbing routes and variability.
- ``schedule``: boluses, IV infusions, extravascular doses (SPRAVATO devices), induction series.
- ``solver``: closed-form solution between dose events (batched eigendecomposition), any output times.
- ``population``: log-normal inter-individual variability, seeded; percentile bands.
- ``metrics``: Cmax, Tmax, AUC, concentrations at times, time below a threshold (discharge hint), troughs.

Importing this package does no numerical work.
"""
