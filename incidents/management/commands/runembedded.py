"""`manage.py runembedded`: the whole system on one machine with no services.

Migrates, loads the demo tenants when the database is empty, then runs the web server, a
Celery worker and Celery beat (database scheduler) as child processes on the embedded
broker. The URL and the logins are printed once the web server answers and the worker has
reported in (or after `READY_TIMEOUT` seconds), so they come after the children's start-up
banners instead of scrolling away above them. Ctrl-C (or SIGTERM) stops all of them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from incidents.management.commands.seed_demo import format_logins
from iwms.celery import ensure_embedded_broker

READY_TIMEOUT = 60.0
# The worker's banner is written when it starts; its first heartbeat comes a moment later.
SETTLE_SECONDS = 1.0


def web_and_worker_ready(url: str) -> bool:
    """Whether the web server answers /healthz and the worker has sent a heartbeat."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own loopback URL
            body = json.loads(response.read().decode())
    except (OSError, ValueError, urllib.error.URLError):
        return False
    return body.get("status") == "ok" and body.get("worker") is not None


def wait_until(ready: Callable[[], bool], *, timeout: float, alive: Callable[[], bool]) -> bool:
    """Poll `ready` until it is true, a child died (`alive` false) or `timeout` passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        if ready():
            return True
        time.sleep(0.5)
    return False


class Command(BaseCommand):
    help = "Run web server, Celery worker and beat together on the embedded broker (local use)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("IWMS_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("IWMS_PORT", "8000")))
        parser.add_argument("--no-seed", action="store_true", help="Do not load the demo tenants.")

    def handle(self, *args: object, host: str, port: int, no_seed: bool, **options: object) -> None:
        ensure_embedded_broker()
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        if not no_seed:
            call_command("seed_demo", if_empty=True, quiet_logins=True)
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        celery = [sys.executable, "-m", "celery", "-A", "iwms"]
        commands = {
            "web": [*manage, "runserver", f"{host}:{port}", "--noreload"],
            "worker": [
                *celery,
                "worker",
                "--pool=threads",
                "--concurrency=2",
                "--loglevel=INFO",
                "--hostname=embedded@%h",
            ],
            "beat": [*celery, "beat", "--loglevel=INFO", "--scheduler=django_celery_beat.schedulers:DatabaseScheduler"],
        }
        children = {name: subprocess.Popen(cmd, cwd=settings.BASE_DIR) for name, cmd in commands.items()}
        wait_until(
            lambda: web_and_worker_ready(f"http://{host}:{port}/healthz"),
            timeout=READY_TIMEOUT,
            alive=lambda: all(child.poll() is None for child in children.values()),
        )
        time.sleep(SETTLE_SECONDS)
        self._announce(host, port)
        stop = {"requested": False}

        def request_stop(signum: int, frame: object) -> None:
            stop["requested"] = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        exit_code = 0
        try:
            while not stop["requested"]:
                for name, child in children.items():
                    if child.poll() is not None:
                        self.stderr.write(f"{name} exited with code {child.returncode}; stopping everything.")
                        exit_code = child.returncode or 1
                        stop["requested"] = True
                time.sleep(0.5)
        finally:
            self.stdout.write("Stopping web server, worker and beat…")
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for child in children.values():
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
        if exit_code:
            sys.exit(exit_code)

    def _announce(self, host: str, port: int) -> None:
        self.stdout.write(self.style.SUCCESS(f"\nIWMS is running at http://{host}:{port}/"))
        self.stdout.write(f"Health check: http://{host}:{port}/healthz   Admin: http://{host}:{port}/admin/")
        self.stdout.write(format_logins(settings.IWMS_DEMO_PASSWORD))
        if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
            self.stdout.write(f"E-mails are written to {settings.EMAIL_FILE_PATH}/, not sent.")
        self.stdout.write("Press Ctrl-C to stop the web server, worker and beat.\n")
