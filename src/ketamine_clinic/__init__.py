"""ketamine-clinic: software for running a ketamine-therapy programme end to end.

The package has two layers:

* ``ketamine_clinic.core``: pure Python (NumPy/SciPy allowed, Django never imported) holding every clinical
  rule, model and number, each with its published source beside it;
* the Django project around it (``settings``, ``urls``, one app per clinical area), which stores records,
  enforces who may see what (``access``) and writes the audit log (``audit``).

The software supports clinicians' decisions; it never replaces them.
"""

__version__ = "0.1.0"
