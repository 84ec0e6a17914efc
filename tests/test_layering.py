"""Apps form a one-way stack: iwms ← organogram ← arc ← workflows ← incidents. A lower app
never imports a higher one (DESIGN.md)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STACK = ["iwms", "organogram", "arc", "workflows", "incidents"]


def imported_apps(source: str) -> set[str]:
    tree = ast.parse(source)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(STACK)


def violations(app: str, source: str, where: str) -> list[str]:
    level = STACK.index(app)
    return [f"{where} imports {other}" for other in sorted(imported_apps(source)) if STACK.index(other) > level]


def test_checker_catches_a_lower_app_importing_a_higher_one():
    source = "from incidents.models import Incident\nimport arc.services\nfrom iwms import audit\n"
    assert violations("organogram", source, "x.py") == ["x.py imports arc", "x.py imports incidents"]
    assert violations("incidents", source, "y.py") == []


def test_no_app_imports_a_higher_layer():
    found = []
    for app in STACK:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            found += violations(app, path.read_text(), str(path.relative_to(ROOT)))
    assert found == []
