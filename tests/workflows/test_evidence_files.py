"""Evidence files: sniffing by bytes, content-addressed storage, thumbnails and refusals
(test_evidence_limits.py has the size limit, reading back and names). Every file here is
generated in the test (Pillow images, a hand-written PDF, ZIP packages built with zipfile)."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from iwms.errors import PolicyError
from workflows.choices import EvidenceKind
from workflows.evidence_files import (
    ACCEPTED,
    THUMBNAIL_MAX_PX,
    StoredContent,
    content_path,
    detect_media_type,
    open_content,
    open_thumbnail,
    store_content,
    upload_from_bytes,
)

JPEG = "image/jpeg"
PNG = "image/png"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
RED = (255, 0, 0)
BLUE = (0, 0, 255)
ORIENTATION = 0x0112
MAKE = 0x010F


class Tenant:
    """Stands in for an Organisation: refusals only carry it along to the audit ledger."""

    slug = "acme"


TENANT = Tenant()


def files_under(root: Path) -> list[str]:
    if not root.exists():
        return []
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())


def store(data: bytes, name: str, kind: str) -> StoredContent:
    return store_content(upload=upload_from_bytes(data, name=name), declared_kind=kind, tenant=TENANT)


def refusal(data: bytes, name: str, kind: str) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        store(data, name, kind)
    return caught.value


# --- files made for the tests -----------------------------------------------------------------


def two_colour_image(size: tuple[int, int] = (400, 200)) -> Image.Image:
    """Red on the left half, blue on the right: where the colours end up shows the orientation."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return image


def exif_bytes(orientation: int | None) -> bytes:
    exif = Image.Exif()
    exif[MAKE] = "Acme Field Camera"
    if orientation is not None:
        exif[ORIENTATION] = orientation
    return exif.tobytes()


def jpeg_bytes(size: tuple[int, int] = (400, 200), *, orientation: int | None = None) -> bytes:
    buffer = io.BytesIO()
    two_colour_image(size).save(buffer, "JPEG", quality=90, exif=exif_bytes(orientation))
    return buffer.getvalue()


def png_bytes(
    size: tuple[int, int] = (400, 200), *, orientation: int | None = None, transparent: bool = False
) -> bytes:
    image = two_colour_image(size)
    if transparent:
        image = image.convert("RGBA")
        image.paste((0, 0, 0, 0), (0, 0, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", exif=exif_bytes(orientation))
    return buffer.getvalue()


def image_bytes(pillow_format: str, size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    two_colour_image(size).save(buffer, pillow_format)
    return buffer.getvalue()


PDF_BYTES = (
    b"%PDF-1.4\n"
    b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n"
    b"trailer << /Root 1 0 R >>\n"
    b"%%EOF\n"
)

_OOXML_PACKAGES = {
    "docx": ("word/document.xml", "wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", "spreadsheetml.sheet.main+xml"),
    "pptx": ("ppt/presentation.xml", "presentationml.presentation.main+xml"),
}


def ooxml_bytes(package: str, *, include_main_part: bool = True, macros: bool = False) -> bytes:
    main_part, content_type = _OOXML_PACKAGES[package]
    declarations = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{main_part}" '
        f'ContentType="application/vnd.openxmlformats-officedocument.{content_type}"/>'
        "</Types>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", declarations)
        archive.writestr("_rels/.rels", "<Relationships/>")
        if include_main_part:
            archive.writestr(main_part, "<document>Isolation certificate for pump 3</document>")
        if macros:
            archive.writestr("word/vbaProject.bin", b"\x00\x01macro")
    return buffer.getvalue()


def odf_bytes(mimetype: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<office:document-content/>", compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def plain_zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "just an archive")
    return buffer.getvalue()


CSV_SEMICOLON = b"point;reading_ppm;time\nP1;12.5;08:00\nP2;14.1;08:05\nP3;9.8;08:10\n"
CSV_COMMA = b'point,reading,note\nP1,12.5,"dusty, windy"\nP2,14.1,clear\n'
NARRATIVE = (
    b"At 14:05 the fitter isolated pump 3, locked the breaker and tested for zero energy.\n"
    b"The supervisor, who arrived late, checked the lock.\n"
    b"No injuries.\n"
)
HTML = b"<!DOCTYPE html><html><body><script>fetch('/api/')</script></body></html>"
HTML_AFTER_PROSE = b"Meeting notes\n\nSee below.\n<script>document.location='https://evil.example'</script>\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
XML = b'<?xml version="1.0"?><note>hi</note>'
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 44
MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 50 + b"This program cannot be run in DOS mode."
SHELL_SCRIPT = b"#!/bin/sh\nrm -rf /srv/evidence\n"
LATIN_1_TEXT = "Caf\u00e9 inspection".encode("latin-1")
BINARY_NOISE = bytes(range(1, 8)) * 40
FAKE_JPEG = b"\xff\xd8\xff\xe0" + b"this is not a photo at all" * 20


def truncated_jpeg() -> bytes:
    data = jpeg_bytes((800, 600))
    return data[: len(data) // 2]


# --- detection by bytes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(jpeg_bytes(), JPEG, id="jpeg"),
        pytest.param(png_bytes(), PNG, id="png"),
        pytest.param(image_bytes("GIF"), "image/gif", id="gif"),
        pytest.param(image_bytes("WEBP"), "image/webp", id="webp"),
        pytest.param(PDF_BYTES, PDF, id="pdf"),
        pytest.param(ooxml_bytes("docx"), DOCX, id="docx"),
        pytest.param(ooxml_bytes("xlsx"), XLSX, id="xlsx"),
        pytest.param(ooxml_bytes("pptx"), PPTX, id="pptx"),
        pytest.param(odf_bytes(ODT), ODT, id="odt"),
        pytest.param(odf_bytes(ODS), ODS, id="ods"),
        pytest.param(NARRATIVE, "text/plain", id="prose-with-commas"),
        pytest.param("\ufeffNotes with a byte order mark\n".encode(), "text/plain", id="utf8-bom"),
        pytest.param("Gefährdung geprüft: ja\n".encode(), "text/plain", id="non-ascii-utf8"),
        pytest.param(CSV_SEMICOLON, "text/csv", id="csv-semicolons"),
        pytest.param(CSV_COMMA, "text/csv", id="csv-commas-quoted"),
    ],
)
def test_media_type_is_detected_from_bytes(content: bytes, expected: str) -> None:
    assert detect_media_type(content) == expected
    assert detect_media_type(io.BytesIO(content)) == expected


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param(HTML, id="html"),
        pytest.param(HTML_AFTER_PROSE, id="script-after-prose"),
        pytest.param(SVG, id="svg"),
        pytest.param(XML, id="xml"),
        pytest.param(ELF, id="elf"),
        pytest.param(MZ, id="windows-exe"),
        pytest.param(SHELL_SCRIPT, id="shell-script"),
        pytest.param(LATIN_1_TEXT, id="not-utf8"),
        pytest.param(b"notes\x00with a nul", id="nul-byte"),
        pytest.param(BINARY_NOISE, id="control-bytes"),
        pytest.param(plain_zip_bytes(), id="plain-zip"),
        pytest.param(ooxml_bytes("docx", macros=True), id="docx-with-macros"),
        pytest.param(ooxml_bytes("docx", include_main_part=False), id="ooxml-main-part-missing"),
        pytest.param(odf_bytes("application/x-shockwave-flash"), id="odf-unknown-mimetype"),
        pytest.param(ooxml_bytes("docx")[:200], id="zip-cut-short"),
    ],
)
def test_anything_not_acceptable_is_detected_as_none(content: bytes) -> None:
    assert detect_media_type(content) is None


def test_detection_reads_a_file_from_its_start() -> None:
    source = io.BytesIO(ooxml_bytes("xlsx"))
    source.seek(0, os.SEEK_END)
    assert detect_media_type(source) == XLSX


def test_every_kind_of_evidence_has_accepted_media_types() -> None:
    assert set(ACCEPTED) == set(EvidenceKind.values)
    assert ACCEPTED[EvidenceKind.PHOTO] == {JPEG, PNG, "image/gif", "image/webp"}
    assert ACCEPTED[EvidenceKind.NARRATIVE] == {"text/plain", "text/csv"}
    assert {PDF, XLSX, "text/csv", "text/plain"} == ACCEPTED[EvidenceKind.MEASUREMENT]


# --- accepted uploads -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "content", "name", "media_type"),
    [
        pytest.param("photo", jpeg_bytes(), "site.jpg", JPEG, id="photo-jpeg"),
        pytest.param("photo", image_bytes("GIF"), "site.gif", "image/gif", id="photo-gif"),
        pytest.param("photo", image_bytes("WEBP"), "site.webp", "image/webp", id="photo-webp"),
        pytest.param("photo", png_bytes(), "scan.pdf", PNG, id="photo-png-misnamed"),
        pytest.param("document", PDF_BYTES, "permit.pdf", PDF, id="document-pdf"),
        pytest.param("document", ooxml_bytes("docx"), "method.docx", DOCX, id="document-docx"),
        pytest.param("document", ooxml_bytes("pptx"), "briefing.pptx", PPTX, id="document-pptx"),
        pytest.param("document", odf_bytes(ODT), "method.odt", ODT, id="document-odt"),
        pytest.param("document", NARRATIVE, "notes.txt", "text/plain", id="document-text"),
        pytest.param("sign_off", PDF_BYTES, "signed.pdf", PDF, id="sign-off-pdf"),
        pytest.param("sign_off", png_bytes(), "signed.png", PNG, id="sign-off-image"),
        pytest.param("measurement", CSV_SEMICOLON, "gas.csv", "text/csv", id="measurement-csv"),
        pytest.param("measurement", ooxml_bytes("xlsx"), "gas.xlsx", XLSX, id="measurement-xlsx"),
        pytest.param("measurement", PDF_BYTES, "gas.pdf", PDF, id="measurement-pdf"),
        pytest.param("narrative", NARRATIVE, "statement.txt", "text/plain", id="narrative-text"),
        pytest.param("narrative", CSV_COMMA, "statement.txt", "text/csv", id="narrative-table-shaped-text"),
        pytest.param("external_reference", b"RTAC-2024-0113\n", "ref.txt", "text/plain", id="reference-text"),
    ],
)
def test_accepted_upload_is_stored_with_its_real_media_type(
    root: Path, kind: str, content: bytes, name: str, media_type: str
) -> None:
    stored = store(content, name, kind)

    assert stored.media_type == media_type
    assert stored.size == len(content)
    assert stored.original_name == name
    assert (root / stored.storage_name).read_bytes() == content
    assert (stored.thumbnail_name is not None) == (kind == "photo")


def test_content_is_stored_under_its_sha256(root: Path) -> None:
    content = jpeg_bytes()
    sha = hashlib.sha256(content).hexdigest()

    stored = store(content, "site.jpg", "photo")

    assert stored.sha256 == sha
    assert stored.storage_name == f"{sha[:2]}/{sha[2:4]}/{sha}"
    assert stored.thumbnail_name == f"thumbs/{sha}.jpg"
    assert content_path(stored.storage_name) == (root / sha[:2] / sha[2:4] / sha).resolve()
    with open_content(stored.storage_name) as stored_file:
        assert stored_file.read() == content
    assert files_under(root) == [stored.storage_name, stored.thumbnail_name]


def test_same_bytes_are_stored_once_and_the_existing_file_is_kept(root: Path) -> None:
    content = jpeg_bytes()
    first = store(content, "before.jpg", "photo")
    inode = (root / first.storage_name).stat().st_ino
    thumbnail_inode = (root / first.thumbnail_name).stat().st_ino

    second = store(content, "after.jpg", "photo")

    assert second.storage_name == first.storage_name
    assert second.thumbnail_name == first.thumbnail_name
    assert (first.original_name, second.original_name) == ("before.jpg", "after.jpg")
    assert (root / first.storage_name).stat().st_ino == inode
    assert (root / first.thumbnail_name).stat().st_ino == thumbnail_inode
    assert files_under(root) == [first.storage_name, first.thumbnail_name]


def test_different_bytes_get_different_files(root: Path) -> None:
    first = store(b"Reading one\n", "a.txt", "narrative")
    second = store(b"Reading two\n", "a.txt", "narrative")

    assert first.storage_name != second.storage_name
    assert len(files_under(root)) == 2


def test_a_stored_file_of_the_wrong_size_is_replaced(root: Path) -> None:
    content = NARRATIVE
    sha = hashlib.sha256(content).hexdigest()
    damaged = root / sha[:2] / sha[2:4] / sha
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(content[:10])

    store(content, "statement.txt", "narrative")

    assert damaged.read_bytes() == content


def test_original_name_is_reduced_to_a_safe_basename(root: Path) -> None:
    class RawUpload:
        name = "C:\\fakepath\\..\\site\x00 photo\u202egpj.exe"
        size = len(NARRATIVE)

        def chunks(self) -> Iterator[bytes]:
            yield NARRATIVE

    stored = store_content(upload=RawUpload(), declared_kind="narrative", tenant=TENANT)

    assert stored.original_name == "site photogpj.exe"


# --- thumbnails -------------------------------------------------------------------------------


def open_stored_thumbnail(stored: StoredContent) -> Image.Image:
    with open_thumbnail(stored.thumbnail_name) as thumbnail_file:
        image = Image.open(io.BytesIO(thumbnail_file.read()))
        image.load()
    return image


@pytest.mark.parametrize("make", [jpeg_bytes, png_bytes], ids=["jpeg", "png"])
def test_thumbnail_applies_exif_orientation_and_drops_exif(root: Path, make) -> None:
    # Orientation 6: the camera was turned; the picture is shown rotated 90° clockwise, so the
    # red left half of the 400×200 sensor image is the top of a 200×400 picture.
    content = make((400, 200), orientation=6)

    stored = store(content, "turned.jpg", "photo")
    thumbnail = open_stored_thumbnail(stored)

    assert thumbnail.format == "JPEG"
    assert thumbnail.size == (160, 320)
    top, bottom = thumbnail.getpixel((80, 10)), thumbnail.getpixel((80, 310))
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60
    assert len(thumbnail.getexif()) == 0
    # The stored evidence itself is the exact upload, metadata and all.
    assert (root / stored.storage_name).read_bytes() == content


def test_thumbnail_fits_in_320_pixels_and_keeps_the_aspect_ratio(root: Path) -> None:
    stored = store(jpeg_bytes((1000, 600)), "wide.jpg", "photo")

    assert open_stored_thumbnail(stored).size == (THUMBNAIL_MAX_PX, 192)


def test_small_photo_is_not_enlarged(root: Path) -> None:
    stored = store(jpeg_bytes((100, 50)), "small.jpg", "photo")

    assert open_stored_thumbnail(stored).size == (100, 50)


def test_transparent_photo_gets_a_white_background_in_its_thumbnail(root: Path) -> None:
    stored = store(png_bytes(transparent=True), "cutout.png", "photo")

    corner = open_stored_thumbnail(stored).getpixel((2, 2))
    assert min(corner) > 230


# --- refusals ---------------------------------------------------------------------------------


def test_pdf_named_as_a_photo_is_refused_by_its_bytes(root: Path) -> None:
    error = refusal(PDF_BYTES, "site-photo.jpg", "photo")

    assert error.code == "evidence.content_mismatch"
    assert error.http_status == 422
    assert error.message == (
        "site-photo.jpg is a PDF document, not a photo. Upload a JPEG, PNG, GIF or WebP image, or choose 'document'."
    )
    assert error.tenant is TENANT
    assert error.context == {
        "field": "file",
        "declared_kind": "photo",
        "detected": PDF,
        "reason": "not_accepted",
    }
    assert files_under(root) == []


def test_photo_uploaded_as_narrative_suggests_photo(root: Path) -> None:
    error = refusal(jpeg_bytes(), "statement.txt", "narrative")

    assert error.message == (
        "statement.txt is a JPEG image, not a narrative. "
        "Write the narrative as text or upload a plain UTF-8 text file, or choose 'photo'."
    )
    assert error.context["detected"] == JPEG


def test_spreadsheet_is_not_an_external_reference(root: Path) -> None:
    error = refusal(ooxml_bytes("xlsx"), "ref.txt", "external_reference")

    assert error.message.startswith("ref.txt is an Excel workbook (XLSX), not an external reference.")
    assert error.message.endswith("or choose 'document'.")


@pytest.mark.parametrize(
    ("content", "name", "kind", "reason", "phrase"),
    [
        pytest.param(HTML, "notes.txt", "document", "markup", "can carry scripts", id="html-as-txt"),
        pytest.param(SVG, "plan.png", "photo", "markup", "can carry scripts", id="svg-as-png"),
        pytest.param(ELF, "report.pdf", "document", "executable", "is a program", id="elf"),
        pytest.param(MZ, "photo.jpg", "photo", "executable", "is a program", id="windows-exe"),
        pytest.param(ooxml_bytes("docx", macros=True), "m.docx", "document", "executable", "macros", id="macros"),
        pytest.param(BINARY_NOISE, "data.csv", "measurement", "unrecognised", "not a file type", id="binary"),
        pytest.param(b"", "empty.txt", "narrative", "empty", "is empty", id="empty"),
    ],
)
def test_unacceptable_content_is_refused_with_its_reason(
    root: Path, content: bytes, name: str, kind: str, reason: str, phrase: str
) -> None:
    error = refusal(content, name, kind)

    assert error.code == "evidence.content_mismatch"
    assert error.context["detected"] is None
    assert error.context["reason"] == reason
    assert error.message.startswith(f"{name} ")
    assert phrase in error.message
    assert files_under(root) == []


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        pytest.param(truncated_jpeg(), "photo", id="truncated-photo"),
        pytest.param(FAKE_JPEG, "photo", id="fake-photo"),
        pytest.param(truncated_jpeg(), "sign_off", id="truncated-sign-off-image"),
    ],
)
def test_image_that_does_not_decode_is_refused(root: Path, content: bytes, kind: str) -> None:
    error = refusal(content, "site.jpg", kind)

    assert error.code == "evidence.content_mismatch"
    assert error.context["reason"] == "damaged"
    assert error.context["detected"] == JPEG
    assert error.message == (
        "site.jpg starts like a JPEG image but cannot be opened; it may be truncated or damaged. "
        "Upload the original file."
    )
    assert files_under(root) == []


@pytest.mark.parametrize("limit", [3000, 1000], ids=["over-the-warning-limit", "over-the-error-limit"])
def test_decompression_bomb_is_refused(root: Path, monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)

    error = refusal(png_bytes((64, 64)), "bomb.png", "photo")

    assert error.code == "evidence.content_mismatch"
    assert error.context["reason"] == "too_many_pixels"
    assert error.message == "bomb.png has too many pixels to be checked safely. Upload a smaller image."
    assert files_under(root) == []


def test_unknown_kind_is_refused(root: Path) -> None:
    error = refusal(NARRATIVE, "notes.txt", "gossip")

    assert error.code == "validation.invalid"
    assert error.context == {"field": "kind", "declared_kind": "gossip"}
    assert files_under(root) == []
