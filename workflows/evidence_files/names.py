"""File names people see: the name an upload came with, made safe to show and store, and the
name a download gets, whose extension always matches the file's real media type."""

from __future__ import annotations

import re
import unicodedata

from workflows.evidence_files import media_types as mt

MAX_NAME_CHARS = 200
FALLBACK_NAME = "evidence"
# Characters Windows refuses in names, and quotes that would confuse a Content-Disposition header.
_RESERVED = re.compile(r'[<>:"|?*\'`]')
_SPACES = re.compile(r"\s+")
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,10}")


def sanitise_name(name: str | None) -> str:
    """The last path component of `name`, without control or formatting characters (such as
    the right-to-left override used to disguise `exe` as `jpg`), reserved characters, leading
    dots or surrounding spaces, at most 200 characters with its extension kept."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = re.split(r"[\\/]", text)[-1]
    text = "".join(" " if char.isspace() else char for char in text if _is_visible(char))
    text = _SPACES.sub(" ", _RESERVED.sub("_", text)).strip(" .")
    return _truncate(text or FALLBACK_NAME)


def suggested_filename(original_name: str | None, media_type: str | None) -> str:
    """A download name for content of `media_type` that arrived as `original_name`: kept when
    its extension already fits, otherwise given the media type's extension (replacing a known
    but wrong one, so `site-photo.jpg` holding a PDF downloads as `site-photo.pdf`)."""
    name = sanitise_name(original_name)
    extensions = mt.EXTENSIONS.get(media_type or "", (mt.UNKNOWN_EXTENSION,))
    stem, extension = split_extension(name)
    if extension.lower() in extensions:
        return name
    if extension.lower() in mt.REPLACED_EXTENSIONS:
        name = stem
        inner_stem, inner_extension = split_extension(stem)
        if inner_extension.lower() in extensions and inner_stem:
            # `report.pdf.exe` holding a PDF is `report.pdf`.
            return name
    return _truncate(name + extensions[0])


def split_extension(name: str) -> tuple[str, str]:
    """`("report", ".pdf")` for `report.pdf`; `(name, "")` when there is no extension."""
    stem, dot, extension = name.rpartition(".")
    if dot and stem and _EXTENSION.fullmatch(dot + extension):
        return stem, dot + extension
    return name, ""


def _is_visible(char: str) -> bool:
    return char.isspace() or not unicodedata.category(char).startswith("C")


def _truncate(name: str) -> str:
    if len(name) <= MAX_NAME_CHARS:
        return name
    stem, extension = split_extension(name)
    return stem[: MAX_NAME_CHARS - len(extension)].rstrip(" .") + extension
