"""What a file is, judged only by its bytes: magic numbers for images and PDF, the parts inside
a ZIP for Office Open XML and OpenDocument, strict UTF-8 for text. The name a file was uploaded
under and the content type a browser claimed are never consulted."""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from workflows.evidence_files import media_types as mt

_CHUNK = 1024 * 1024
# Parts read from inside a ZIP are small; a larger one is refused instead of inflated.
_MAX_PART_BYTES = 1024 * 1024
_CSV_SAMPLE_CHARS = 64 * 1024
_CSV_SAMPLE_ROWS = 50

_EXECUTABLE_MAGIC = (
    b"\x7fELF",  # ELF (Linux, BSD)
    b"MZ",  # DOS/Windows PE
    b"\xfe\xed\xfa\xce",  # Mach-O 32-bit
    b"\xfe\xed\xfa\xcf",  # Mach-O 64-bit
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal, Java class
    b"\x00asm",  # WebAssembly
)

_OOXML_MAIN_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": mt.DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": mt.XLSX,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": mt.PPTX,
}
_ODF_MIMETYPES = {mt.ODT, mt.ODS, mt.ODP}
_OVERRIDE = re.compile(r"<(?:\w+:)?Override\b[^>]*>", re.IGNORECASE)
_PART_NAME = re.compile(r"\bPartName\s*=\s*[\"']([^\"']+)[\"']")
_CONTENT_TYPE = re.compile(r"\bContentType\s*=\s*[\"']([^\"']+)[\"']")

# Markup a browser or viewer may run scripts from, wherever it appears in a text.
_MARKUP = re.compile(
    r"<\s*(?:!doctype\b|\?xml\b|/?\s*(?:html|head|body|script|iframe|frame|frameset|svg|math|object|embed"
    r"|applet|style|meta|link|base|form)\b)",
    re.IGNORECASE,
)
_MARKUP_OVERLAP = 32
# C0 controls other than tab, line feed, form feed and carriage return, and DEL: text with
# these is a binary format that happens to be valid UTF-8.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Sniffed:
    """The media type found (None when refused) and, for a refusal, why."""

    media_type: str | None
    reason: str = ""

    @classmethod
    def refused(cls, reason: str) -> Sniffed:
        return cls(None, reason)


EMPTY = "empty"
EXECUTABLE = "executable"
MARKUP = "markup"
UNRECOGNISED = "unrecognised"


def detect_media_type(content: bytes | BinaryIO) -> str | None:
    """The media type of `content` judged by its bytes, or None for anything not accepted as
    evidence (programs, HTML/SVG/XML, unknown binaries, empty files).

    `content` is the whole file: bytes, or a readable, seekable binary file (read from its
    start; ZIP-based formats are recognised by their central directory at the end)."""
    return sniff(content).media_type


def sniff(content: bytes | BinaryIO) -> Sniffed:
    """`detect_media_type` with the reason for a refusal."""
    source: BinaryIO = io.BytesIO(content) if isinstance(content, bytes | bytearray | memoryview) else content
    source.seek(0)
    head = source.read(64)
    if not head:
        return Sniffed.refused(EMPTY)
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed(mt.JPEG)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed(mt.PNG)
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed(mt.GIF)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed(mt.WEBP)
    if head.startswith(b"%PDF-"):
        return Sniffed(mt.PDF)
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(source)
    if head.startswith(_EXECUTABLE_MAGIC):
        return Sniffed.refused(EXECUTABLE)
    return _sniff_text(source)


def _sniff_zip(source: BinaryIO) -> Sniffed:
    source.seek(0)
    try:
        with zipfile.ZipFile(source) as archive:
            names = set(archive.namelist())
            if any(_is_macro_part(name) for name in names):
                return Sniffed.refused(EXECUTABLE)
            if "[Content_Types].xml" in names:
                media_type = _office_open_xml_type(archive, names)
                if media_type:
                    return Sniffed(media_type)
            if "mimetype" in names:
                declared = _read_part(archive, "mimetype").decode("ascii").strip()
                if declared in _ODF_MIMETYPES:
                    return Sniffed(declared)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, OSError, EOFError, ValueError, zlib.error):
        # Damaged, encrypted or using a compression method Python lacks: not a document we can vouch for.
        pass
    return Sniffed.refused(UNRECOGNISED)


def _is_macro_part(name: str) -> bool:
    lowered = name.lower()
    return lowered.endswith("vbaproject.bin") or lowered.startswith(("basic/", "scripts/"))


def _office_open_xml_type(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    """The media type named by the package's main part, if that part is really in the ZIP."""
    declarations = _read_part(archive, "[Content_Types].xml").decode("utf-8")
    for override in _OVERRIDE.findall(declarations):
        part_name = _PART_NAME.search(override)
        content_type = _CONTENT_TYPE.search(override)
        if part_name is None or content_type is None:
            continue
        media_type = _OOXML_MAIN_PARTS.get(content_type.group(1).strip().lower())
        if media_type and part_name.group(1).lstrip("/") in names:
            return media_type
    return None


def _read_part(archive: zipfile.ZipFile, name: str) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > _MAX_PART_BYTES:
        raise ValueError(f"{name} inside the archive is too large to inspect")
    with archive.open(info) as part:
        data = part.read(_MAX_PART_BYTES + 1)
    if len(data) > _MAX_PART_BYTES:
        raise ValueError(f"{name} inside the archive inflates beyond its declared size")
    return data


def _sniff_text(source: BinaryIO) -> Sniffed:
    """Plain text is strict UTF-8 throughout, with no NUL or other binary control bytes and no
    markup; it is CSV when its first rows split into the same number of columns."""
    source.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    sample: list[str] = []
    sampled = 0
    tail = ""
    first = True
    try:
        while chunk := source.read(_CHUNK):
            text = decoder.decode(chunk)
            if first:
                text = text.removeprefix("\ufeff")
                if text.startswith("#!"):
                    return Sniffed.refused(EXECUTABLE)
                first = False
            verdict = _binary_or_markup(tail + text)
            if verdict:
                return Sniffed.refused(verdict)
            tail = text[-_MARKUP_OVERLAP:]
            if sampled < _CSV_SAMPLE_CHARS:
                sample.append(text[: _CSV_SAMPLE_CHARS - sampled])
                sampled += len(sample[-1])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return Sniffed.refused(UNRECOGNISED)
    # A sample cut at its limit may end mid-line.
    complete = sampled < _CSV_SAMPLE_CHARS
    return Sniffed(mt.CSV if _looks_like_csv("".join(sample), complete=complete) else mt.TEXT)


def _binary_or_markup(text: str) -> str:
    if _CONTROL.search(text):
        return UNRECOGNISED
    if _MARKUP.search(text):
        return MARKUP
    return ""


def _looks_like_csv(sample: str, *, complete: bool) -> bool:
    if not complete:
        sample = sample[: sample.rfind("\n") + 1]
    for delimiter in (",", ";"):
        try:
            rows = [
                row
                for row in csv.reader(io.StringIO(sample), delimiter=delimiter, strict=True)
                if len(row) > 1 or (row and row[0].strip())
            ]
        except csv.Error:
            continue
        widths = {len(row) for row in rows[:_CSV_SAMPLE_ROWS]}
        if len(rows) >= 2 and len(widths) == 1 and widths.pop() >= 2:
            return True
    return False
