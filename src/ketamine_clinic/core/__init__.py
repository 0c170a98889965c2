"""The pure clinical core: plain functions and dataclasses, no Django imports.

Sub-packages: ``pharmacology`` (PK/PD models, dosing arithmetic), ``instruments`` (questionnaires and outcome
logic), ``protocols`` (treatment templates, schedule generation), ``safety`` (eligibility rules),
``administration`` (the dosing-session state machine, vitals alerts, discharge criteria), ``inventory``
(the controlled-substance ledger rules) and ``followup`` (booster decision support).
"""
