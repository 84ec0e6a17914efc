"""Fixtures of the workflow engine's tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def root(tmp_path: Path, settings) -> Path:
    """The evidence root of one test, in its own temporary folder."""
    settings.IWMS_EVIDENCE_ROOT = tmp_path / "evidence"
    return settings.IWMS_EVIDENCE_ROOT
