"""Fewer Hypothesis examples per property test during `make mutation` only (docs/mutation.md).

mutmut re-runs the covering tests once per mutant; the ledger's property tests (300 sequences of up to 40
movements) made each inventory mutant take tens of seconds. `make mutation` sets KETAMINE_MUTATION_MAX_EXAMPLES;
without it (the normal suite, CI) nothing here runs and every test keeps its own ``max_examples``.
"""

import os

from hypothesis import settings

_MAX_EXAMPLES = os.environ.get("KETAMINE_MUTATION_MAX_EXAMPLES")


def pytest_collection_modifyitems(items):
    if not _MAX_EXAMPLES:
        return
    cap = int(_MAX_EXAMPLES)
    for item in items:
        test = getattr(item, "obj", None)
        if not hasattr(test, "hypothesis"):  # not a @given test
            continue
        # A profile cannot lower a test's explicit @settings(max_examples=...), and Hypothesis has no public way
        # to; @given reads the test's settings from this attribute when the test runs. Fail loudly if it moves.
        current = test._hypothesis_internal_use_settings
        assert isinstance(current, settings), "Hypothesis changed: update tests/core/conftest.py"
        test._hypothesis_internal_use_settings = settings(current, max_examples=min(current.max_examples, cap))
