"""Content-addressed storage of evidence files under `IWMS_EVIDENCE_ROOT`: an upload is
checked (size, real media type, whether an image decodes) while it streams to a temporary file,
then moved to `<sha[:2]>/<sha[2:4]>/<sha>`, so the same bytes are stored once."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from iwms.errors import PolicyError
from workflows.choices import EvidenceKind
from workflows.evidence_files import detection
from workflows.evidence_files import media_types as mt
from workflows.evidence_files.images import DamagedImage, TooManyPixels, verify_image
from workflows.evidence_files.names import sanitise_name

THUMBNAIL_DIR = "thumbs"
_TEMP_PREFIX = ".incoming-"
_FILE_MODE = 0o640
_STORAGE_NAME = re.compile(r"([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})")
_THUMBNAIL_NAME = re.compile(rf"{THUMBNAIL_DIR}/([0-9a-f]{{64}})\.jpg")


class Upload(Protocol):
    """What `store_content` needs of an upload (Django's `UploadedFile` has it)."""

    name: str | None
    size: int | None

    def chunks(self) -> Iterator[bytes]: ...


@dataclass(frozen=True, slots=True)
class StoredContent:
    """An evidence file as stored: where (relative to `IWMS_EVIDENCE_ROOT`), what it really is,
    and the name it was uploaded under (for people only; never used to decide anything)."""

    sha256: str
    storage_name: str
    media_type: str
    size: int
    original_name: str
    thumbnail_name: str | None


def upload_from_bytes(data: bytes, *, name: str) -> SimpleUploadedFile:
    """Wrap `data` as an upload, for services and tests that hold bytes instead of a request's file."""
    return SimpleUploadedFile(name, bytes(data))


def sha256_of_text(text: str) -> str:
    """The content hash of evidence that is only text (a narrative, an external reference): the
    SHA-256 of its exact UTF-8 bytes, so anyone can recompute it from the stored text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def store_content(*, upload: Upload, declared_kind: str, tenant: Any) -> StoredContent:
    """Check `upload` against the size limit and against what `declared_kind` accepts, judged by
    its bytes, and store it content-addressed; a photo also gets a thumbnail.

    Refuses with `PolicyError` `evidence.too_large` or `evidence.content_mismatch` (or
    `validation.invalid` for an unknown kind); a refused upload leaves no file behind."""
    original_name = sanitise_name(getattr(upload, "name", None))
    if declared_kind not in mt.ACCEPTED:
        raise PolicyError(
            "validation.invalid",
            f"{declared_kind!r} is not a kind of evidence.",
            tenant=tenant,
            field="kind",
            declared_kind=declared_kind,
        )
    limit = settings.IWMS_EVIDENCE_MAX_BYTES
    declared_size = getattr(upload, "size", None)
    if declared_size is not None and declared_size > limit:
        raise _too_large(original_name, declared_size, limit, tenant=tenant)

    root = evidence_root()
    root.mkdir(parents=True, exist_ok=True)
    descriptor, temp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=".part", dir=root)
    temp_path = Path(temp_name)
    try:
        with os.fdopen(descriptor, "w+b") as temp:
            sha256, size = _write_hashing(upload, temp, limit=limit, name=original_name, tenant=tenant)
            sniffed = detection.sniff(temp)
        media_type = _check_kind(sniffed, declared_kind, original_name, tenant=tenant)
        thumbnail = None
        if media_type in mt.IMAGES:
            thumbnail = _check_image(
                temp_path,
                media_type,
                declared_kind,
                original_name,
                tenant=tenant,
                thumbnail=declared_kind == EvidenceKind.PHOTO,
            )
        storage_name = f"{sha256[:2]}/{sha256[2:4]}/{sha256}"
        _move_into_place(temp_path, root / storage_name, size=size)
    finally:
        temp_path.unlink(missing_ok=True)

    thumbnail_name = None
    if thumbnail is not None:
        thumbnail_name = f"{THUMBNAIL_DIR}/{sha256}.jpg"
        _write_once(root / thumbnail_name, thumbnail)
    return StoredContent(
        sha256=sha256,
        storage_name=storage_name,
        media_type=media_type,
        size=size,
        original_name=original_name,
        thumbnail_name=thumbnail_name,
    )


def evidence_root() -> Path:
    return Path(settings.IWMS_EVIDENCE_ROOT)


def content_path(storage_name: str) -> Path:
    """The file of `storage_name` (`ab/cd/<sha256>`); ValueError for any other name, so nothing
    outside `IWMS_EVIDENCE_ROOT` can be reached through it."""
    match = _STORAGE_NAME.fullmatch(storage_name) if isinstance(storage_name, str) else None
    if match is None or match[3][:2] != match[1] or match[3][2:4] != match[2]:
        raise ValueError(f"not an evidence storage name: {storage_name!r}")
    return _inside_root(storage_name)


def thumbnail_path(thumbnail_name: str) -> Path:
    """The file of `thumbnail_name` (`thumbs/<sha256>.jpg`); ValueError for any other name."""
    if not isinstance(thumbnail_name, str) or _THUMBNAIL_NAME.fullmatch(thumbnail_name) is None:
        raise ValueError(f"not an evidence thumbnail name: {thumbnail_name!r}")
    return _inside_root(thumbnail_name)


def open_content(storage_name: str) -> BinaryIO:
    """The stored evidence file, open for reading. ValueError for a name that is not a storage
    name; FileNotFoundError when no such content is stored."""
    return content_path(storage_name).open("rb")


def open_thumbnail(thumbnail_name: str) -> BinaryIO:
    """A photo's thumbnail (JPEG), open for reading; ValueError / FileNotFoundError as `open_content`."""
    return thumbnail_path(thumbnail_name).open("rb")


def _inside_root(name: str) -> Path:
    root = evidence_root().resolve()
    path = (root / name).resolve()
    # The name's shape already rules out `..`; this also catches a symbolic link planted inside the root.
    if not path.is_relative_to(root):
        raise ValueError(f"{name!r} resolves outside the evidence root")
    return path


def _write_hashing(upload: Upload, temp: BinaryIO, *, limit: int, name: str, tenant: Any) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks():
        size += len(chunk)
        if size > limit:
            # The upload's declared size was missing or wrong; stop reading at the limit.
            raise _too_large(name, size, limit, tenant=tenant, exact=False)
        digest.update(chunk)
        temp.write(chunk)
    temp.flush()
    os.fsync(temp.fileno())
    return digest.hexdigest(), size


def _check_kind(sniffed: detection.Sniffed, declared_kind: str, name: str, *, tenant: Any) -> str:
    media_type = sniffed.media_type
    if media_type is not None and media_type in mt.ACCEPTED[declared_kind]:
        return media_type
    kind = EvidenceKind(declared_kind)
    hint = mt.UPLOAD_HINTS[declared_kind]
    if media_type is None:
        message = f"{name} {_REFUSED_DESCRIPTIONS[sniffed.reason]}. {hint}."
    else:
        message = f"{name} is {mt.DESCRIPTIONS[media_type]}, not {_with_article(kind.label)}. {hint}"
        suggested = mt.PREFERRED_KIND.get(media_type)
        message += f", or choose '{EvidenceKind(suggested).label}'." if suggested else "."
    raise PolicyError(
        "evidence.content_mismatch",
        message,
        tenant=tenant,
        field="file",
        declared_kind=declared_kind,
        detected=media_type,
        reason=sniffed.reason or "not_accepted",
    )


_REFUSED_DESCRIPTIONS = {
    detection.EMPTY: "is empty",
    detection.EXECUTABLE: "is a program, a script or a document with macros, which is never accepted as evidence",
    detection.MARKUP: "contains web page or SVG/XML markup, which can carry scripts and is not accepted as evidence",
    detection.UNRECOGNISED: "is not a file type accepted as evidence",
}


def _check_image(
    path: Path, media_type: str, declared_kind: str, name: str, *, tenant: Any, thumbnail: bool
) -> bytes | None:
    try:
        return verify_image(path, media_type, thumbnail=thumbnail)
    except TooManyPixels:
        message = f"{name} has too many pixels to be checked safely. Upload a smaller image."
        reason = "too_many_pixels"
    except DamagedImage:
        message = (
            f"{name} starts like {mt.DESCRIPTIONS[media_type]} but cannot be opened; it may be truncated "
            "or damaged. Upload the original file."
        )
        reason = "damaged"
    raise PolicyError(
        "evidence.content_mismatch",
        message,
        tenant=tenant,
        field="file",
        declared_kind=declared_kind,
        detected=media_type,
        reason=reason,
    )


def _move_into_place(temp_path: Path, target: Path, *, size: int) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_file() and target.stat().st_size == size:
        # Same hash, same bytes: the stored file stays as it is.
        return
    os.chmod(temp_path, _FILE_MODE)
    os.replace(temp_path, target)


def _write_once(target: Path, data: bytes) -> None:
    if target.is_file():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=".part", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, _FILE_MODE)
        os.replace(temp_name, target)
    finally:
        Path(temp_name).unlink(missing_ok=True)


def _too_large(name: str, size: int, limit: int, *, tenant: Any, exact: bool = True) -> PolicyError:
    size_text, limit_text = _human_size(size), _human_size(limit)
    if size_text == limit_text:
        size_text, limit_text = f"{size:,} bytes", f"{limit:,} bytes"
    if exact:
        message = f"{name} is {size_text}; the limit is {limit_text}."
    else:
        message = f"{name} is over the {limit_text} limit."
    return PolicyError("evidence.too_large", message, tenant=tenant, field="file", size=size, limit=limit)


def _human_size(count: int) -> str:
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if count >= factor:
            return f"{count / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{count} bytes"


def _with_article(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun
