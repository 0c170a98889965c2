"""The core must never import Django: it is the part unit-tested in isolation and reused by the CLI."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "src" / "ketamine_clinic" / "core"


def test_no_module_in_core_imports_django():
    offenders = []
    for path in CORE.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "django" or n.startswith("django.") or n.startswith("ninja") for n in names):
                offenders.append(str(path.relative_to(CORE)))
    assert offenders == []


def test_core_has_modules_to_check():
    # Guards the test above against passing vacuously if the path were wrong.
    assert any(CORE.rglob("*.py"))
