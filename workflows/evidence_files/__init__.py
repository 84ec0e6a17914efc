"""Evidence files: the size limit, what a file really is (judged by its bytes), which kind of
evidence accepts it, content-addressed storage with photo thumbnails, and safe reading back.

Services store uploads with `store_content`; the permission-checked download view reads them
with `open_content` / `open_thumbnail` and names them with `suggested_filename`."""

from workflows.evidence_files.detection import detect_media_type
from workflows.evidence_files.images import THUMBNAIL_MAX_PX, THUMBNAIL_MEDIA_TYPE
from workflows.evidence_files.media_types import ACCEPTED
from workflows.evidence_files.names import sanitise_name, suggested_filename
from workflows.evidence_files.storage import (
    StoredContent,
    content_path,
    open_content,
    open_thumbnail,
    sha256_of_text,
    store_content,
    thumbnail_path,
    upload_from_bytes,
)

__all__ = [
    "ACCEPTED",
    "THUMBNAIL_MAX_PX",
    "THUMBNAIL_MEDIA_TYPE",
    "StoredContent",
    "content_path",
    "detect_media_type",
    "open_content",
    "open_thumbnail",
    "sanitise_name",
    "sha256_of_text",
    "store_content",
    "suggested_filename",
    "thumbnail_path",
    "upload_from_bytes",
]
