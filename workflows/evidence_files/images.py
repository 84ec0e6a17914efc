"""Images are decoded in full before they are accepted (a truncated or fake image is refused,
and so is a decompression bomb), and photos get a small JPEG thumbnail without metadata."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

from PIL import Image, ImageOps

from workflows.evidence_files import media_types as mt

THUMBNAIL_MAX_PX = 320
THUMBNAIL_MEDIA_TYPE = "image/jpeg"
_THUMBNAIL_QUALITY = 85
_BACKGROUND = (255, 255, 255)


class DamagedImage(Exception):
    """The bytes start like an image but do not decode as one."""


class TooManyPixels(Exception):
    """The image would decode to more pixels than Pillow's decompression-bomb limit allows."""


def verify_image(path: Path, media_type: str, *, thumbnail: bool) -> bytes | None:
    """Decode the image at `path` completely, only with the decoder its magic bytes name, and
    return JPEG thumbnail bytes when `thumbnail` is set.

    Raises `TooManyPixels` or `DamagedImage`."""
    formats = [mt.PILLOW_FORMATS[media_type]]
    with warnings.catch_warnings():
        # Pillow only warns between its limit and twice its limit; either is refused here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path, formats=formats) as image:
                image.verify()
            with Image.open(path, formats=formats) as image:
                image.load()
                return _thumbnail(image) if thumbnail else None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise TooManyPixels(str(exc)) from exc
        except Exception as exc:
            # Malformed images surface as many exception types from Pillow's decoders (OSError,
            # SyntaxError, struct.error, IndexError, ...); all mean the same thing here.
            raise DamagedImage(str(exc)) from exc


def _thumbnail(image: Image.Image) -> bytes:
    upright = ImageOps.exif_transpose(image)
    upright.thumbnail((THUMBNAIL_MAX_PX, THUMBNAIL_MAX_PX))
    flat = Image.new("RGB", upright.size, _BACKGROUND)
    if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info:
        rgba = upright.convert("RGBA")
        flat.paste(rgba, mask=rgba.getchannel("A"))
    else:
        flat.paste(upright.convert("RGB"))
    # `flat` is a new image: it carries no EXIF (location, camera serial), ICC or comments.
    buffer = io.BytesIO()
    flat.save(buffer, "JPEG", quality=_THUMBNAIL_QUALITY, optimize=True)
    return buffer.getvalue()
