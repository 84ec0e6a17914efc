"""The optional model adapter against a fake OpenAI-compatible endpoint on 127.0.0.1: it may add
findings, and every way it can fail leaves the rules' result in charge."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from workflows.review import review
from workflows.review.llm import LLMError, LLMReviewer, parse_reply


class FakeModel:
    """What the fake endpoint answers, and what it was asked."""

    def __init__(self) -> None:
        self.status = 200
        self.content = json.dumps({"findings": []})
        self.raw_body: bytes | None = None
        self.delay = 0.0
        self.requests: list[dict] = []


@pytest.fixture
def model() -> Iterator[tuple[FakeModel, str]]:
    fake = FakeModel()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            fake.requests.append(
                {"path": self.path, "headers": dict(self.headers), "body": json.loads(self.rfile.read(length))}
            )
            time.sleep(fake.delay)
            body = fake.raw_body
            if body is None:
                body = json.dumps({"choices": [{"message": {"role": "assistant", "content": fake.content}}]}).encode()
            self.send_response(fake.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def reviewer(url: str, **overrides) -> LLMReviewer:
    return LLMReviewer(**{"url": url, "model": "test-model", "key": "sk-test", "timeout": 2.0, **overrides})


def finding(code="evidence.irrelevant", step="make_safe", message="The photo shows the wrong stope. Retake it."):
    return {"code": code, "step": step, "message": message}


def test_the_model_adds_a_finding_and_the_engine_says_so(model, pack):
    fake, url = model
    fake.content = "Here you are:\n```json\n" + json.dumps({"findings": [finding()]}) + "\n```"
    result = review(pack, llm=reviewer(url))
    assert result.verdict == "corrections_required"
    assert [(f.code, f.step, f.message) for f in result.findings] == [
        ("evidence.irrelevant", "make_safe", "The photo shows the wrong stope. Retake it.")
    ]
    assert result.engine == "iwms-rules+llm:test-model"
    assert result.llm_error is None
    request = fake.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    assert request["body"]["model"] == "test-model"
    assert [m["role"] for m in request["body"]["messages"]] == ["system", "user"]
    assert json.loads(request["body"]["messages"][1]["content"])["pack"] == pack


def test_no_key_sends_no_authorization(model, pack):
    fake, url = model
    review(pack, llm=reviewer(url, key=""))
    assert "Authorization" not in fake.requests[0]["headers"]


def rules_only(pack):
    return review(pack)


def assert_fell_back(result, pack, error_part: str) -> None:
    expected = rules_only(pack)
    assert result.findings == expected.findings
    assert result.verdict == expected.verdict
    assert result.engine == "iwms-rules"
    assert error_part in result.llm_error


def test_invalid_json_falls_back_to_the_rules(model, pack, caplog):
    fake, url = model
    fake.content = "{findings: [oops"
    with caplog.at_level(logging.WARNING, logger="workflows.review.engine"):
        result = review(pack, llm=reviewer(url))
    assert_fell_back(result, pack, "reply is not valid JSON")
    assert "the rules alone decide" in caplog.text


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ({"verdict": "satisfied"}, "not an object with a 'findings' list"),
        ({"findings": [finding(code="Evidence Missing")]}, "findings[0].code"),
        ({"findings": [finding(step="no_such_step")]}, "findings[0].step"),
        ({"findings": [finding(message="  ")]}, "findings[0].message"),
        ({"findings": [finding(message="x" * 501)]}, "findings[0].message"),
        ({"findings": [{"code": "evidence.irrelevant", "message": "No step key."}]}, "findings[0]: expected"),
        ({"findings": [finding()] * 51}, "more than 50 findings"),
    ],
)
def test_a_schema_violation_falls_back_to_the_rules(model, pack, reply, error):
    fake, url = model
    fake.content = json.dumps(reply)
    assert_fell_back(review(pack, llm=reviewer(url)), pack, error)


def test_a_reply_that_is_not_a_chat_completion_falls_back(model, pack):
    fake, url = model
    fake.raw_body = b'{"id": "x", "object": "error"}'
    assert_fell_back(review(pack, llm=reviewer(url)), pack, "not a chat completion")


def test_a_timeout_falls_back_to_the_rules(model, pack):
    fake, url = model
    fake.delay = 1.0
    started = time.monotonic()
    result = review(pack, llm=reviewer(url, timeout=0.2))
    assert time.monotonic() - started < 0.9
    assert_fell_back(result, pack, "timed out")


def test_an_http_error_falls_back_to_the_rules(model, pack):
    fake, url = model
    fake.status = 500
    assert_fell_back(review(pack, llm=reviewer(url)), pack, "HTTP Error 500")


@contextlib.contextmanager
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        number = probe.getsockname()[1]
    yield number


def test_an_unreachable_endpoint_falls_back_to_the_rules(pack):
    with closed_port() as port:
        result = review(pack, llm=reviewer(f"http://127.0.0.1:{port}"))
    assert_fell_back(result, pack, "request failed")


def test_a_satisfied_reply_cannot_clear_rule_findings(model, pack):
    fake, url = model
    pack["steps"][0]["evidence"] = []
    fake.content = json.dumps({"verdict": "satisfied", "findings": []})
    result = review(pack, llm=reviewer(url))
    assert result.verdict == "corrections_required"
    assert result.findings == rules_only(pack).findings
    assert [f.code for f in result.findings] == ["evidence.missing"]
    assert result.engine == "iwms-rules+llm:test-model"


def test_the_model_restating_a_rule_finding_adds_nothing(model, pack):
    fake, url = model
    pack["steps"][0]["evidence"] = []
    fake.content = json.dumps({"findings": [finding(code="evidence.missing", message="No photo. Add one.")]})
    assert review(pack, llm=reviewer(url)).findings == rules_only(pack).findings


def test_model_findings_are_ordered_with_the_rules(model, pack):
    fake, url = model
    pack["steps"][1]["evidence"] = []
    fake.content = json.dumps({"findings": [finding(step="statements"), finding(step=None, code="narrative.vague")]})
    assert [(f.step, f.code) for f in review(pack, llm=reviewer(url)).findings] == [
        (None, "narrative.vague"),
        ("statements", "evidence.irrelevant"),
        ("statements", "evidence.missing"),
    ]


def test_parse_reply_accepts_a_bare_or_fenced_object():
    assert parse_reply('{"findings": []}', []) == []
    fenced = '```\n{"findings": [{"code": "a.b", "step": null, "message": "Fix it."}]}\n```'
    assert [f.code for f in parse_reply(fenced, [])] == ["a.b"]
    with pytest.raises(LLMError):
        parse_reply("[]", [])


def test_a_non_http_url_is_refused(pack):
    result = review(pack, llm=reviewer("file:///etc"))
    assert_fell_back(result, pack, "must be http(s)")


def test_from_settings_is_none_without_a_url(settings):
    settings.IWMS_REVIEW_LLM_URL = ""
    assert LLMReviewer.from_settings() is None


def test_from_settings_reads_the_review_settings(settings):
    settings.IWMS_REVIEW_LLM_URL = "http://llm.internal:8000/v1"
    settings.IWMS_REVIEW_LLM_MODEL = "mine-reviewer"
    settings.IWMS_REVIEW_LLM_KEY = "sk-secret"
    settings.IWMS_REVIEW_LLM_TIMEOUT = 7
    assert LLMReviewer.from_settings() == LLMReviewer(
        url="http://llm.internal:8000/v1", model="mine-reviewer", key="sk-secret", timeout=7.0
    )
