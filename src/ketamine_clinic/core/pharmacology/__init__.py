"""Pharmacology (pure core, no Django): exact, vectorised ketamine / esketamine PK/PD.

- ``models``: published parameter sets as data (Domino, Clements, Herd, Hornik, esketamine nasal spray, Flint
  paediatric ICU esketamine with its S-norketamine metabolite) with citations, units, weight scaling, valid
  ranges, absorbing routes, variability, an effect site where a ke0 exists and a metabolite chain where the
  published model has one.
- ``schedule``: boluses, IV infusions, extravascular doses (SPRAVATO devices), induction series.
- ``solver``: closed-form solution between dose events (batched eigendecomposition), any output times.
- ``population``: log-normal inter-individual variability, seeded; percentile bands.
- ``metrics``: Cmax, Tmax, AUC, concentrations at times, time below a threshold (discharge hint), troughs.

Importing this package does no numerical work.
"""
