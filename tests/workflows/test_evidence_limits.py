"""Evidence files: the size limit, safe reading back, file names and text hashes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from iwms.errors import PolicyError
from tests.workflows.test_evidence_files import DOCX, JPEG, PDF, PDF_BYTES, PNG, TENANT, files_under, refusal, store
from workflows.evidence_files import (
    content_path,
    open_content,
    open_thumbnail,
    sanitise_name,
    sha256_of_text,
    store_content,
    suggested_filename,
)

# --- size limit -------------------------------------------------------------------------------


class SizedUpload:
    """An upload that says how big it is and counts how much of it is read."""

    def __init__(self, name: str, size: int | None, chunks: list[bytes]) -> None:
        self.name = name
        self.size = size
        self._chunks = chunks
        self.chunks_read = 0

    def chunks(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self.chunks_read += 1
            yield chunk


def test_upload_over_the_limit_is_refused_before_it_is_read(root: Path) -> None:
    upload = SizedUpload("report.pdf", 32_715_571, [PDF_BYTES])

    with pytest.raises(PolicyError) as caught:
        store_content(upload=upload, declared_kind="document", tenant=TENANT)

    error = caught.value
    assert error.code == "evidence.too_large"
    assert error.http_status == 413
    assert error.message == "report.pdf is 31.2 MB; the limit is 20 MB."
    assert error.context == {"field": "file", "size": 32_715_571, "limit": 20 * 1024 * 1024}
    assert upload.chunks_read == 0
    assert files_under(root) == []


def test_size_limit_comes_from_settings(root: Path, settings) -> None:
    settings.IWMS_EVIDENCE_MAX_BYTES = 1000
    error = refusal(b"x" * 2000, "notes.txt", "narrative")

    assert error.code == "evidence.too_large"
    assert error.message == "notes.txt is 2 KB; the limit is 1000 bytes."
    assert error.context["limit"] == 1000

    assert store(b"y" * 1000, "notes.txt", "narrative").size == 1000


def test_size_just_over_the_limit_is_said_in_bytes(root: Path) -> None:
    limit = 20 * 1024 * 1024
    upload = SizedUpload("report.pdf", limit + 1, [])

    with pytest.raises(PolicyError) as caught:
        store_content(upload=upload, declared_kind="document", tenant=TENANT)

    assert caught.value.message == "report.pdf is 20,971,521 bytes; the limit is 20,971,520 bytes."


@pytest.mark.parametrize("declared_size", [None, 10], ids=["size-unknown", "size-understated"])
def test_upload_streaming_past_the_limit_is_refused_without_leftovers(
    root: Path, settings, declared_size: int | None
) -> None:
    settings.IWMS_EVIDENCE_MAX_BYTES = 1000
    upload = SizedUpload("notes.txt", declared_size, [b"a" * 600, b"b" * 600, b"c" * 600])

    with pytest.raises(PolicyError) as caught:
        store_content(upload=upload, declared_kind="narrative", tenant=TENANT)

    assert caught.value.code == "evidence.too_large"
    assert caught.value.message == "notes.txt is over the 1000 bytes limit."
    assert upload.chunks_read == 2
    assert files_under(root) == []


def test_failing_upload_stream_leaves_no_temporary_file(root: Path) -> None:
    class BrokenUpload:
        name = "notes.txt"
        size = None

        def chunks(self) -> Iterator[bytes]:
            yield b"first part of the statement\n"
            raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        store_content(upload=BrokenUpload(), declared_kind="narrative", tenant=TENANT)

    assert files_under(root) == []


# --- reading back, safely ---------------------------------------------------------------------

SHA = "ab" * 32


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "/etc/passwd",
        f"ab/ab/../../../{SHA}",
        f"ab/ab/{SHA}/..",
        f"cd/ab/{SHA}",
        f"AB/AB/{SHA.upper()}",
        f"thumbs/{SHA}.jpg",
        f"ab/ab/{SHA}\n",
        "",
    ],
)
def test_open_content_refuses_names_that_are_not_storage_names(root: Path, name: str) -> None:
    with pytest.raises(ValueError, match="not an evidence storage name"):
        open_content(name)
    with pytest.raises(ValueError, match="not an evidence storage name"):
        content_path(name)


@pytest.mark.parametrize(
    "name", ["thumbs/../../etc/passwd", f"thumbs/{SHA}.png", f"ab/ab/{SHA}", f"/thumbs/{SHA}.jpg", "../thumbs/x.jpg"]
)
def test_open_thumbnail_refuses_names_that_are_not_thumbnail_names(root: Path, name: str) -> None:
    with pytest.raises(ValueError, match="not an evidence thumbnail name"):
        open_thumbnail(name)


def test_missing_content_is_not_found(root: Path) -> None:
    with pytest.raises(FileNotFoundError):
        open_content(f"ab/ab/{SHA}")
    with pytest.raises(FileNotFoundError):
        open_thumbnail(f"thumbs/{SHA}.jpg")


def test_symbolic_link_out_of_the_root_is_refused(root: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not evidence")
    planted = root / "ab" / "ab" / SHA
    planted.parent.mkdir(parents=True)
    planted.symlink_to(secret)

    with pytest.raises(ValueError, match="outside the evidence root"):
        open_content(f"ab/ab/{SHA}")


# --- names and text hashes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("C:\\fakepath\\site photo.jpg", "site photo.jpg"),
        ("../../etc/passwd", "passwd"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        (".htaccess", "htaccess"),
        ('say "cheese"?.jpg', "say _cheese__.jpg"),
        ("  many   spaces\tand\ttabs.txt  ", "many spaces and tabs.txt"),
        ("..", "evidence"),
        ("", "evidence"),
        (None, "evidence"),
    ],
)
def test_sanitise_name(name: str | None, expected: str) -> None:
    assert sanitise_name(name) == expected


def test_long_name_is_cut_to_200_characters_keeping_its_extension() -> None:
    name = sanitise_name("x" * 300 + ".pdf")

    assert len(name) == 200
    assert name.endswith("x.pdf")


@pytest.mark.parametrize(
    ("original", "media_type", "expected"),
    [
        ("site-photo.jpg", PDF, "site-photo.pdf"),
        ("scan.JPG", JPEG, "scan.JPG"),
        ("scan.jpeg", JPEG, "scan.jpeg"),
        ("scan.pdf", PNG, "scan.png"),
        ("page.html", "text/plain", "page.txt"),
        ("report.pdf.exe", PDF, "report.pdf"),
        ("notes", "text/plain", "notes.txt"),
        ("readings.txt", "text/csv", "readings.txt"),
        ("Minutes 3.5", DOCX, "Minutes 3.5.docx"),
        ("../../etc/passwd", PDF, "passwd.pdf"),
        ("", PNG, "evidence.png"),
        ("mystery.exe", None, "mystery.bin"),
    ],
)
def test_suggested_filename_matches_the_real_media_type(original: str, media_type: str | None, expected: str) -> None:
    assert suggested_filename(original, media_type) == expected


def test_suggested_filename_stays_within_200_characters() -> None:
    name = suggested_filename("y" * 250 + ".exe", PDF)

    assert len(name) == 200
    assert name.endswith("y.pdf")


def test_text_evidence_hash_is_the_sha256_of_its_utf8_bytes() -> None:
    text = "Pump 3 isolated at 14:05 — verified by the supervisor"

    assert sha256_of_text(text) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert sha256_of_text(text) != sha256_of_text(text + ".")
