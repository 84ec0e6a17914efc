"""`incidents/` is cut into vertical slices around its shared core models (docs/architecture.md):

    core ← sla ← work ← intake ← access ← closure

A slice imports only slices below it, and of those only their public surface — `services`,
`selectors`, `policy`, `forms`, `tasks`, and the `models` and `choices` of a slice that is its own
app (and, in `core`, everything; its raw `lifecycle` moves
only a slice's services call). A slice's views may also compose a lower slice's views (the
closure slice answers an invalidation on the work page with the work page's own response).
The wiring around the slices (`urls`, `admin`, `views`, `templatetags`, `management`, `demo`,
`managed_list`) may use any slice's surface; no slice imports the wiring. Effects have one
path: only a services module (or the kernel that implements the effect) calls
`run_transition`, appends a ledger event or writes a notification."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SLICES = [
    *("core", "sla", "work", "intake", "access", "closure"),  # the spine
    *("controls", "triage", "governance", "response", "problems", "assurance"),  # above it
    *("integrations", "api"),  # the API over every slice's services
]
PUBLIC = {"services", "selectors", "policy", "forms", "tasks", "models", "choices"}
SHARED = {"models", "choices"}  # the core models every slice is built around
EFFECTS = {"run_transition", "record_event", "record_events", "notify", "notify_many", "schedule_emails"}

# The kernel that implements an effect, or records its own security events (login, sessions,
# two-factor, tokens, cross-tenant probes), or is the raw move itself. Benchmarks time the
# primitives directly.
KERNEL = {
    "iwms/audit.py",
    "iwms/audited_rows.py",
    "iwms/db_guards.py",
    "iwms/login.py",
    "iwms/notifications.py",
    "iwms/refusals.py",
    "iwms/sessions.py",
    "iwms/transitions.py",
    "arc/cross_tenant.py",
    "arc/tokens.py",
    "arc/two_factor.py",
    "incidents/core/lifecycle.py",
}
_NOT_OURS = {".venv", "node_modules", "var", ".git", "migrations", "tests", "bench"}


def slice_of(where: Path) -> str | None:
    """The slice `where` belongs to; None for the wiring (a slice's own management commands and
    demo data are wiring too: they may use any slice, as `manage.py` and the demo do)."""
    parts = where.parts
    if {"management", "demo"} & set(parts) or where.stem == "demo":
        return None
    if len(parts) > 2 and parts[0] == "incidents" and parts[1] in SLICES:
        return parts[1]
    return None


def imported_modules(source: str, filename: str) -> list[str]:
    modules = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from incidents.work import services` names the submodule
            modules += [f"{node.module}.{alias.name}" for alias in node.names]
    return [m for m in modules if m.startswith("incidents.")]


def reach_violations(where: Path, source: str) -> list[str]:
    """What `where` imports from `incidents` that its place does not allow."""
    here = slice_of(where)
    in_services = "services" in where.parts
    in_views = "views" in where.parts or where.name == "views.py"
    found = []
    for module in imported_modules(source, str(where)):
        parts = module.split(".")
        target = parts[1]
        if target in SHARED:
            continue
        if target not in SLICES:  # the wiring
            if here is not None:
                found.append(f"{where} (slice {here}) imports the wiring {module}")
            continue
        surface = parts[2] if len(parts) > 2 else ""
        if target == "core" and surface == "lifecycle" and not in_services and here is not None:
            found.append(f"{where} imports the raw lifecycle outside a service")
        if here is None or target == here:
            continue
        if SLICES.index(target) > SLICES.index(here):
            found.append(f"{where} (slice {here}) imports the higher slice {module}")
        elif target != "core" and surface not in PUBLIC and not (in_views and surface == "views"):
            found.append(f"{where} (slice {here}) reaches into {module}")
    return found


def called_names(source: str, filename: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


def effect_violations(where: Path, source: str) -> list[str]:
    if "services" in where.parts or where.name == "services.py" or str(where) in KERNEL:
        return []
    return [f"{where} calls {name}" for name in sorted(called_names(source, str(where)) & EFFECTS)]


def our_sources() -> list[Path]:
    return [
        path.relative_to(ROOT)
        for path in sorted(ROOT.rglob("*.py"))
        if not (_NOT_OURS & set(path.relative_to(ROOT).parts))
    ]


# --- the checker itself ------------------------------------------------------------------------


def test_a_slice_may_use_a_lower_slices_surface_only():
    work = Path("incidents/work/views/work.py")
    assert reach_violations(work, "from incidents.core.selectors import timeline_for\n") == []
    assert reach_violations(work, "from incidents.work.services import execution\n") == []
    assert reach_violations(work, "from incidents.models import Incident\n") == []
    assert reach_violations(work, "from incidents.closure.services import closure\n") == [
        "incidents/work/views/work.py (slice work) imports the higher slice incidents.closure.services.closure"
    ]
    closure = Path("incidents/closure/services/closure.py")
    assert reach_violations(closure, "from incidents.work.services.review import x\n") == []
    assert reach_violations(closure, "from incidents.work import views\n") == [
        "incidents/closure/services/closure.py (slice closure) reaches into incidents.work.views"
    ]
    assert reach_violations(Path("incidents/closure/views/evidence.py"), "from incidents.work import views\n") == []
    assert reach_violations(closure, "from incidents.work.duplicates import x\n") == [
        "incidents/closure/services/closure.py (slice closure) reaches into incidents.work.duplicates.x"
    ]
    assert reach_violations(closure, "from incidents.views.incident import x\n") == [
        "incidents/closure/services/closure.py (slice closure) imports the wiring incidents.views.incident.x"
    ]


def test_the_raw_lifecycle_is_for_a_slices_services():
    assert reach_violations(Path("incidents/closure/services/x.py"), "from incidents.core import lifecycle\n") == []
    assert reach_violations(Path("incidents/closure/views/queue.py"), "from incidents.core import lifecycle\n") == [
        "incidents/closure/views/queue.py imports the raw lifecycle outside a service"
    ]


def test_the_wiring_may_use_any_slice():
    urls = Path("incidents/urls.py")
    assert reach_violations(urls, "from incidents.closure.views import queue\nfrom incidents.work import views\n") == []


def test_effects_are_called_from_services_only():
    source = "from iwms.audit import record_event\ndef f():\n    record_event(tenant=1)\n    run.notify(x)\n"
    assert effect_violations(Path("incidents/work/views/work.py"), source) == [
        "incidents/work/views/work.py calls notify",
        "incidents/work/views/work.py calls record_event",
    ]
    assert effect_violations(Path("incidents/work/services/execution.py"), source) == []
    assert effect_violations(Path("organogram/services.py"), source) == []


# --- the code base -----------------------------------------------------------------------------


def test_every_slice_exists_with_services():
    # The API is wiring over the other slices' services: it has none of its own.
    home = ROOT / "incidents"
    without = [
        name for name in SLICES if not ((home / name / "services").is_dir() or (home / name / "services.py").exists())
    ]
    assert without == ["api"]


def test_slices_import_down_and_through_the_surface_only():
    found = []
    for where in our_sources():
        if where.parts[0] == "incidents":
            found += reach_violations(where, (ROOT / where).read_text())
    assert found == []


def test_only_services_run_transitions_write_the_ledger_or_notify():
    found = []
    for where in our_sources():
        found += effect_violations(where, (ROOT / where).read_text())
    assert found == []
