"""The authorization matrix: every URL pattern of the project, requested as every role with
every relation to its object, gives the outcome tests/access/matrix.json declares — and a
pattern missing from that file fails the suite, so every new page must declare itself.

Outcomes: an HTTP status, "login" (302 to the sign-in page) or "redirect" (302 elsewhere).
Patterns that refuse GET are also posted to with an empty body, which must never be a 500.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from iwms.models import User
from tests.access.world import ROLES, build_world

# Marked so pytest-django sets the test database up; each test then runs in a savepoint of `world`.
pytestmark = pytest.mark.django_db

MATRIX = json.loads((Path(__file__).with_name("matrix.json")).read_text())
LOGIN_PATHS = ("/accounts/login/", "/admin/login/")


def project_patterns() -> dict[str, str]:
    """Every pattern of the URLconf: `namespace:name` (or `route:<route>` when unnamed) -> route."""
    found: dict[str, str] = {}

    def walk(resolver: URLResolver, namespace: str, prefix: str) -> None:
        for entry in resolver.url_patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace
                walk(entry, inner or namespace, route)
            elif isinstance(entry, URLPattern):
                name = entry.name or f"route:{route}"
                found[f"{namespace}:{name}" if namespace else name] = route

    walk(get_resolver(), "", "")
    return found


def declared_key(pattern: str) -> str | None:
    """The matrix entry that declares a pattern: its own, or its namespace's wildcard."""
    if pattern in MATRIX["patterns"]:
        return pattern
    namespace = pattern.split(":", 1)[0]
    wildcard = f"{namespace}:*"
    return wildcard if namespace != "route" and wildcard in MATRIX["patterns"] else None


def test_every_url_pattern_of_the_project_is_in_the_matrix() -> None:
    missing = sorted(pattern for pattern in project_patterns() if declared_key(pattern) is None)
    assert missing == [], f"Declare these URL patterns in tests/access/matrix.json: {missing}"


def test_the_matrix_names_no_pattern_that_no_longer_exists() -> None:
    patterns = project_patterns()
    stale = [
        key
        for key, entry in MATRIX["patterns"].items()
        if (key.endswith(":*") and not any(p.startswith(key[:-1]) for p in patterns))
        or (not key.endswith(":*") and key not in patterns)
        or any(sample not in patterns for sample in entry.get("samples", []))
    ]
    assert stale == []


def test_every_entry_names_each_role_and_an_outcome_for_it() -> None:
    for key, entry in MATRIX["patterns"].items():
        for method in ("GET", "POST"):
            for relation, outcomes in entry.get(method, {}).items():
                unknown = set(outcomes) - set(ROLES) - {"*"}
                assert not unknown, f"{key} {method} {relation}: unknown roles {unknown}"
                assert "*" in outcomes or set(outcomes) == set(ROLES), f"{key} {method} {relation}: roles missing"
        assert "GET" in entry, key


# --- walking it -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _evidence_root() -> None:
    """The world's evidence files live in the module's folder (see `world`), not per test."""


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Any:
    """Built once for the module inside a transaction that is rolled back at its end."""
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    root = tmp_path_factory.mktemp("matrix-evidence")
    settings = override_settings(IWMS_EVIDENCE_ROOT=root, PASSWORD_HASHERS=hashers)
    with django_db_blocker.unblock(), settings, transaction.atomic():
        built = build_world()
        built["users"] = {role: User.objects.get(username=name) for role, name in ROLES.items() if name}
        yield built
        transaction.set_rollback(True)


def outcome_of(response) -> int | str:
    if response.status_code == 302:
        return "login" if response["Location"].startswith(LOGIN_PATHS) else "redirect"
    return response.status_code


def kwargs_for(spec: dict[str, Any], world: dict[str, Any]) -> dict[str, Any]:
    return {name: world[value[1:]] if str(value).startswith("$") else value for name, value in spec.items()}


def request_as(world: dict[str, Any], role: str, method: str, url: str) -> int | str:
    """One request in a savepoint rolled back after it, so no role sees another's side effects."""
    with transaction.atomic():
        client = Client(raise_request_exception=False)
        if ROLES[role] is not None:
            client.force_login(world["users"][role])
        response = client.get(url) if method == "GET" else client.post(url, {})
        transaction.set_rollback(True)
    return outcome_of(response)


def urls_of(key: str, entry: dict[str, Any], world: dict[str, Any]) -> dict[str, list[str]]:
    """The URLs to request per relation: the pattern reversed with each relation's objects."""
    if key.endswith(":*"):
        return {"-": [reverse(sample) for sample in entry["samples"]]}
    if key.startswith("route:"):
        return {"-": ["/" + key.removeprefix("route:")]}
    relations = entry.get("kwargs", {"-": {}})
    return {relation: [reverse(key, kwargs=kwargs_for(spec, world))] for relation, spec in relations.items()}


@pytest.mark.parametrize("key", sorted(MATRIX["patterns"]))
def test_url_pattern_gives_the_declared_outcome_to_every_role(key: str, world: dict[str, Any]) -> None:
    entry = MATRIX["patterns"][key]
    wrong = []
    for relation, urls in urls_of(key, entry, world).items():
        for method in ("GET", "POST"):
            declared = entry.get(method, {}).get(relation)
            if declared is None:
                continue
            for role in ROLES:
                expected = declared.get(role, declared.get("*"))
                for url in urls:
                    got = request_as(world, role, method, url)
                    if got != expected or got == 500:
                        wrong.append(f"{method} {url} ({relation}) as {role}: expected {expected}, got {got}")
    assert wrong == [], "\n".join(wrong)


def test_an_empty_post_is_declared_for_every_pattern_that_refuses_get() -> None:
    refusing_get = [
        key
        for key, entry in MATRIX["patterns"].items()
        if any(outcomes.get("*") == 405 for outcomes in entry["GET"].values())
    ]
    assert [key for key in refusing_get if "POST" not in MATRIX["patterns"][key]] == []


def test_the_matrix_roles_are_the_roles_walked() -> None:
    assert MATRIX["roles"] == list(ROLES)
