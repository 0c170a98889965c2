"""The predicted plasma level the flowsheet's discharge hint waits for, for racemic ketamine (IV, IM, oral).

Clinic-set and a hint only (settings.DISCHARGE_HINT_LEVEL_NG_PER_ML): a predicted level below it is one input to
the clinician's discharge judgement beside the charted recovery, never a gate. Esketamine uses the REMS form's
level (rems_form.DEFAULT_PREDICTED_LEVEL_NG_PER_ML, settings.REMS_PREDICTED_LEVEL_NG_PER_ML).
"""

# Perceptual (dissociative) effects of racemic ketamine rise roughly linearly with the plasma concentration from
# about 50 ng/mL at steady state: Bowdle TA, Radant AD, Cowley DS et al., "Psychedelic effects of ketamine in
# healthy volunteers: relationship to steady-state plasma concentrations", Anesthesiology 1998;88:82-88.
DEFAULT_LEVEL_NG_PER_ML = 50.0
SOURCE = "Bowdle et al., Anesthesiology 1998;88:82-88 (perceptual effects from ~50 ng/mL racemic, steady state)"
