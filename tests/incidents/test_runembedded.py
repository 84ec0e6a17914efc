"""`make run` (runembedded): the URL and the logins come after the children's start-up banners
(the command waits until the web server answers and the worker has reported in), and e-mails
go to files under var/, never into the terminal (issue 13)."""

from __future__ import annotations

import io
from unittest import mock

import pytest
from django.core import mail
from django.core.mail import get_connection
from django.core.management import call_command

from incidents.management.commands import runembedded


class FakeChild:
    """A child process that runs until the command has announced itself, then exits."""

    def __init__(self, events: list[str], name: str) -> None:
        self.events, self.name, self.returncode = events, name, None
        events.append(f"started {name}")

    def poll(self) -> int | None:
        if any(event.startswith("announced") for event in self.events):
            self.returncode = 0
        return self.returncode

    def send_signal(self, signum: int) -> None: ...

    def wait(self, timeout: float | None = None) -> int:
        return 0

    def kill(self) -> None: ...


def test_the_url_and_logins_are_printed_after_the_web_server_and_worker_are_up(settings):
    events: list[str] = []
    probes = iter([False, False, True])

    def probe(url: str) -> bool:
        ready = next(probes)
        events.append(f"probe {ready}")
        return ready

    class Out(io.StringIO):
        def write(self, text: str) -> int:
            if "IWMS is running" in text:
                events.append("announced")
            return super().write(text)

    out = Out()
    with (
        mock.patch.object(runembedded, "call_command"),
        mock.patch.object(runembedded.subprocess, "Popen", side_effect=lambda cmd, **kw: FakeChild(events, cmd[-1])),
        mock.patch.object(runembedded, "web_and_worker_ready", side_effect=probe),
        mock.patch.object(runembedded.time, "sleep"),
        pytest.raises(SystemExit),
    ):
        call_command("runembedded", "--no-seed", stdout=out, stderr=io.StringIO())
    assert (
        events.index("announced")
        > events.index("probe True")
        > max(i for i, e in enumerate(events) if e.startswith("started"))
    )
    text = out.getvalue()
    assert text.index("Database migrated.") < text.index("IWMS is running") < text.index("responsible")


def test_the_wait_gives_up_when_a_child_dies_or_time_runs_out():
    with mock.patch.object(runembedded.time, "sleep"):
        assert runembedded.wait_until(lambda: False, timeout=5, alive=lambda: False) is False
        assert runembedded.wait_until(lambda: True, timeout=5, alive=lambda: True) is True


def test_embedded_mode_writes_e_mails_to_files_under_var(settings, tmp_path, capsys):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    connection = get_connection()
    mail.EmailMessage("Due soon", "INC-2026-000001 is due", to=["sipho@example.com"], connection=connection).send()
    written = list((tmp_path / "mail").glob("*.log"))
    assert len(written) == 1 and "INC-2026-000001 is due" in written[0].read_text()
    assert "INC-2026-000001" not in capsys.readouterr().out


def test_settings_choose_the_file_backend_for_the_embedded_mode_without_an_smtp_host():
    import subprocess
    import sys

    probe = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='iwms.settings'; django.setup(); "
        "from django.conf import settings; print(settings.EMAIL_BACKEND); print(settings.EMAIL_FILE_PATH)"
    )
    env = {**__import__("os").environ, "IWMS_EMBEDDED": "1", "EMAIL_HOST": "", "EMAIL_BACKEND": ""}
    env.pop("EMAIL_BACKEND")
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True).stdout
    backend, path = out.split()
    assert backend == "django.core.mail.backends.filebased.EmailBackend" and path.endswith("/mail")
