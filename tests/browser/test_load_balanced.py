"""Two web processes (gunicorn) behind a real load balancer (HAProxy from Debian's packages),
sharing the database and the evidence folder: a person signs in, moves between pages served by
either node, adds evidence (an upload through an HTMX form with its CSRF token), and a node that
starts draining (`IWMS_DRAIN_FILE`, /healthz 503) is taken out while the person goes on.

Needs `haproxy` (apt-get install haproxy); skipped without it unless IWMS_REQUIRE_LB=1 (CI)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from playwright.sync_api import expect

from iwms.models import User
from tests.browser import test_work_page
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_work_page import add_evidence, local, photo
from tests.integration.test_real_worker import worker_environment

fall_of_ground = test_work_page.fall_of_ground  # the work page's fixture: a confirmed report

HAPROXY_CONFIG = """
global
    maxconn 256
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend web
    bind 127.0.0.1:{front}
    default_backend iwms
backend iwms
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    http-response set-header X-Served-By %s
    server a 127.0.0.1:{a} check inter 250ms fall 1 rise 1
    server b 127.0.0.1:{b} check inter 250ms fall 1 rise 1
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - our own 127.0.0.1
            return response.status == 200
    except OSError:
        return False


def wait_for(check, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {check}")


class Balanced:
    def __init__(self, url: str, drains: dict[str, Path]) -> None:
        self.url = url
        self.drains = drains


@pytest.fixture
def balanced(demo_tenant, tmp_path) -> Iterator[Balanced]:
    haproxy = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin")
    if haproxy is None:
        if os.environ.get("IWMS_REQUIRE_LB") == "1":
            pytest.fail("HAProxy is required (IWMS_REQUIRE_LB=1) but was not found: apt-get install haproxy")
        pytest.skip("HAProxy not installed (apt-get install haproxy)")
    ports = {"a": free_port(), "b": free_port()}
    front = free_port()
    drains = {name: tmp_path / f"drain-{name}" for name in ports}
    env = {
        **worker_environment(),
        "IWMS_EMBEDDED": "1",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "IWMS_EVIDENCE_ROOT": str(settings.IWMS_EVIDENCE_ROOT),  # one shared folder for both nodes
        "IWMS_LEDGER_KEY_GENERATED_PATH": str(settings.IWMS_LEDGER_KEY_GENERATED_PATH),
        "IWMS_LEDGER_CHECKPOINT_DIR": str(settings.IWMS_LEDGER_CHECKPOINT_DIR),
    }
    processes = []
    try:
        for name, port in ports.items():
            node_env = {**env, "IWMS_DRAIN_FILE": str(drains[name])}
            command = [sys.executable, "-m", "gunicorn", "iwms.wsgi", "--bind", f"127.0.0.1:{port}"]
            command += ["--workers", "1", "--threads", "4", "--log-level", "warning"]
            command += ["--control-socket", str(tmp_path / f"gunicorn-{name}.ctl")]
            processes.append(subprocess.Popen(command, cwd=settings.BASE_DIR, env=node_env))
        for port in ports.values():
            wait_for(lambda port=port: answers(f"http://127.0.0.1:{port}/healthz"))
        config = tmp_path / "haproxy.cfg"
        config.write_text(HAPROXY_CONFIG.format(front=front, **ports))
        processes.append(subprocess.Popen([haproxy, "-f", str(config), "-db"]))
        wait_for(lambda: answers(f"http://127.0.0.1:{front}/healthz"))
        yield Balanced(f"http://127.0.0.1:{front}", drains)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def served_by(page, path: str) -> str:
    response = page.goto(path)
    assert response.status == 200, (path, response.status)
    return response.headers["x-served-by"]


def test_a_person_works_through_two_nodes_and_a_draining_node_is_taken_out(browser, balanced, fall_of_ground, tmp_path):
    responsible = User.objects.get(username="responsible", organisation=fall_of_ground.organisation)
    hasher = PBKDF2PasswordHasher()
    responsible.password = hasher.encode(settings.IWMS_DEMO_PASSWORD, hasher.salt())
    responsible.save(update_fields=["password"])  # the nodes check production-strength hashes
    context = browser.new_context(base_url=balanced.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("responsible")
        page.get_by_label("Password").fill(settings.IWMS_DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_test_id("signed-in-as")).to_be_visible()

        # Round robin: the session (in the database) holds on whichever node answers.
        nodes = set()
        for _ in range(4):
            nodes.add(served_by(page, "/"))
            expect(page.get_by_test_id("signed-in-as")).to_be_visible()
        assert nodes == {"a", "b"}

        # An upload through an HTMX form, its CSRF token issued by one node and checked by either.
        served_by(page, f"/incidents/{fall_of_ground.reference}/")
        page.get_by_role("button", name="Acknowledge and start").click()
        expect(page.get_by_test_id("incident-status")).to_have_text("in progress")
        served_by(page, f"/incidents/{fall_of_ground.reference}/work/")
        make_safe = page.get_by_test_id("step-make_safe")
        add_evidence(
            make_safe,
            kind="photo",
            relevance="The slab and the barricade, photographed through the load balancer.",
            collected=local(30),
            files=[photo(tmp_path, "slab.png", "#8899aa", "#554433", 7)],
        )
        expect(make_safe.locator("img.thumb")).to_have_count(1)  # the thumbnail, from either node
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "load-balanced-work.png"), full_page=True)

        balanced.drains["b"].touch()
        time.sleep(1.5)  # a few health checks
        assert {served_by(page, "/") for _ in range(6)} == {"a"}
        balanced.drains["b"].unlink()
        time.sleep(1.5)
        assert {served_by(page, "/") for _ in range(6)} == {"a", "b"}
    finally:
        context.close()
