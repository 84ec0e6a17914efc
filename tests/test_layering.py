"""Apps form a one-way stack: iwms ← organogram ← arc ← workflows ← incidents. A lower app
never imports a higher one (DESIGN.md), neither with an import statement nor by name at
run time (`importlib.import_module("incidents.x")`, `apps.get_model("incidents", "Incident")`,
a lazy model reference such as `ForeignKey("incidents.Incident")`)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STACK = ["iwms", "organogram", "arc", "workflows", "incidents"]

# Calls whose first string argument names a module or an app ("app" or "app.Model").
_DYNAMIC_IMPORTS = {"import_module", "__import__", "get_model", "get_app_config"}
_MODEL_REFERENCES = {"ForeignKey", "OneToOneField", "ManyToManyField", "TreeNodeForeignKey"}


def _called_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _first_string(node: ast.Call) -> str | None:
    for arg in [*node.args[:1], *(kw.value for kw in node.keywords if kw.arg in {"to", "name", "app_label"})]:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return arg.value
    return None


def imported_apps(source: str, *, filename: str = "<source>") -> set[str]:
    """The apps of the stack that `source` imports or names for import."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and _called_name(node) in _DYNAMIC_IMPORTS | _MODEL_REFERENCES:
            target = _first_string(node)
            if target:
                names.add(target.split(".")[0])
    return names & set(STACK)


def violations(app: str, source: str, where: str) -> list[str]:
    level = STACK.index(app)
    return [
        f"{where} imports {other}"
        for other in sorted(imported_apps(source, filename=where))
        if STACK.index(other) > level
    ]


def app_sources(app: str) -> list[Path]:
    return [path for path in sorted((ROOT / app).rglob("*.py")) if "migrations" not in path.parts]


def test_checker_catches_a_lower_app_importing_a_higher_one():
    source = "from incidents.models import Incident\nimport arc.services\nfrom iwms import audit\n"
    assert violations("organogram", source, "x.py") == ["x.py imports arc", "x.py imports incidents"]
    assert violations("incidents", source, "y.py") == []


def test_checker_catches_imports_hidden_inside_functions_and_by_name():
    source = (
        "import importlib\n"
        "from django.apps import apps\n"
        "def later():\n"
        "    from workflows.services import start_run\n"
        "    importlib.import_module('incidents.services')\n"
        "    return apps.get_model('arc', 'Delegation')\n"
    )
    assert violations("iwms", source, "k.py") == [
        "k.py imports arc",
        "k.py imports incidents",
        "k.py imports workflows",
    ]


def test_checker_catches_lazy_model_references_to_a_higher_app():
    source = (
        "from django.db import models\nclass Unit(models.Model):\n    x = models.ForeignKey('incidents.Incident')\n"
    )
    assert violations("organogram", source, "m.py") == ["m.py imports incidents"]
    # a reference to the same app or a lower one is fine
    assert violations("arc", "models.ForeignKey(to='organogram.Position')\n", "a.py") == []


def test_checker_ignores_relative_imports_and_unrelated_packages():
    source = "from . import models\nfrom .services import x\nimport django\nimport incidents_helper_lib\n"
    assert violations("iwms", source, "r.py") == []


def test_every_app_of_the_stack_has_sources_to_check():
    assert all(app_sources(app) for app in STACK)


def test_no_app_imports_a_higher_layer():
    found = []
    for app in STACK:
        for path in app_sources(app):
            found += violations(app, path.read_text(), str(path.relative_to(ROOT)))
    assert found == []


# --- one path per effect: the raw lifecycle moves belong to the slices' services -----------------

_RAW_MOVE = re.compile(r"\blifecycle\._[a-z]\w*|from incidents\.core\.lifecycle import [^\n]*\b_[a-z]\w*")
_NOT_OURS = {".venv", "node_modules", "var", ".git"}


# The clock tests move an incident to half-closed and pending closure directly: they hold the
# clock arithmetic of each move (what stops, what restarts, with what time left), which the
# services' own tests then take for granted.
_CLOCK_ARITHMETIC = {"tests/incidents/test_clock_cycles.py"}


def test_raw_lifecycle_moves_are_called_by_the_services_only():
    """Views, admin, tasks, commands, demo data and tests reach a lifecycle move through the
    public service that checks its policy (`acknowledge_incident`, `complete_work`,
    `closure.*`), never through `lifecycle._…`."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        where = path.relative_to(ROOT)
        in_a_service = where.parts[0] == "incidents" and "services" in where.parts
        if _NOT_OURS & set(where.parts) or in_a_service or path == Path(__file__):
            continue
        if str(where) in _CLOCK_ARITHMETIC:
            continue
        if _RAW_MOVE.search(path.read_text()):
            found.append(str(where))
    assert found == []


def test_closure_and_reopen_have_one_service_each():
    from incidents.core import lifecycle

    assert not hasattr(lifecycle, "approve_closure") and not hasattr(lifecycle, "reopen")
    assert not hasattr(lifecycle, "reject_closure") and not hasattr(lifecycle, "acknowledge")
