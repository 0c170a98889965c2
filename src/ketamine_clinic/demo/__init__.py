"""The synthetic demo clinic, in one package: ``demo.clinic.seed()`` seeds all of it.

One module per clinical area, seeded in dependency order by ``demo.clinic``: ``registry`` (staff, patients),
``assessment``, ``plans``, ``scheduling``, ``outcomes``, ``sessions``, ``inventory``, ``followup``, ``portal``.
Every area is seeded through its app's services, as the pages do, so the demo keeps the clinic's rules.
The apps never import this package; only the CLI, the ``seed_demo`` command, the tests and the benchmarks do.

This module stays empty: the package is an installed app (for ``seed_demo``), and Django imports it before the
models are ready.
"""
