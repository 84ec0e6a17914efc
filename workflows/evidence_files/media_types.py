"""The media types evidence files may have, which kind of evidence accepts which, and how each
is named to people and on disk."""

from __future__ import annotations

from workflows.choices import EvidenceKind

JPEG = "image/jpeg"
PNG = "image/png"
GIF = "image/gif"
WEBP = "image/webp"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
TEXT = "text/plain"
CSV = "text/csv"

IMAGES = frozenset({JPEG, PNG, GIF, WEBP})
OFFICE_OPEN_XML = frozenset({DOCX, XLSX, PPTX})
OPEN_DOCUMENT = frozenset({ODT, ODS, ODP})
# CSV is UTF-8 text that happens to split into columns; wherever plain text is accepted, a
# text that looks like a table is accepted too, so a narrative with a comma in each line is
# never refused for looking like a spreadsheet.
TEXTS = frozenset({TEXT, CSV})

# Pillow's name for each image format, so an image is only ever decoded by the plugin its
# bytes claim.
PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG", GIF: "GIF", WEBP: "WEBP"}

ACCEPTED: dict[str, frozenset[str]] = {
    EvidenceKind.PHOTO: IMAGES,
    EvidenceKind.DOCUMENT: frozenset({PDF}) | OFFICE_OPEN_XML | OPEN_DOCUMENT | TEXTS,
    EvidenceKind.SIGN_OFF: frozenset({PDF}) | IMAGES,
    EvidenceKind.MEASUREMENT: frozenset({CSV, TEXT, PDF, XLSX}),
    EvidenceKind.NARRATIVE: TEXTS,
    EvidenceKind.EXTERNAL_REFERENCE: TEXTS,
}

# What to upload instead, said once per kind (the end of a refusal message).
UPLOAD_HINTS: dict[str, str] = {
    EvidenceKind.PHOTO: "Upload a JPEG, PNG, GIF or WebP image",
    EvidenceKind.DOCUMENT: (
        "Upload a PDF, a Word, Excel or PowerPoint file (DOCX, XLSX, PPTX), an OpenDocument file or plain text"
    ),
    EvidenceKind.SIGN_OFF: "Upload the signed PDF or a JPEG, PNG, GIF or WebP image of it",
    EvidenceKind.MEASUREMENT: "Upload a CSV file, an Excel workbook (XLSX), a PDF or plain text",
    EvidenceKind.NARRATIVE: "Write the narrative as text or upload a plain UTF-8 text file",
    EvidenceKind.EXTERNAL_REFERENCE: "Give the reference as text or upload a plain UTF-8 text file",
}

DESCRIPTIONS: dict[str, str] = {
    JPEG: "a JPEG image",
    PNG: "a PNG image",
    GIF: "a GIF image",
    WEBP: "a WebP image",
    PDF: "a PDF document",
    DOCX: "a Word document (DOCX)",
    XLSX: "an Excel workbook (XLSX)",
    PPTX: "a PowerPoint presentation (PPTX)",
    ODT: "an OpenDocument text (ODT)",
    ODS: "an OpenDocument spreadsheet (ODS)",
    ODP: "an OpenDocument presentation (ODP)",
    TEXT: "plain text",
    CSV: "a CSV table",
}

# The kind to suggest when a file is refused for the kind that was chosen.
PREFERRED_KIND: dict[str, str] = {
    **dict.fromkeys(IMAGES, EvidenceKind.PHOTO),
    **dict.fromkeys({PDF, TEXT} | OFFICE_OPEN_XML | OPEN_DOCUMENT, EvidenceKind.DOCUMENT),
    CSV: EvidenceKind.MEASUREMENT,
}

# File name extensions per media type; the first is the one a download name gets.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    JPEG: (".jpg", ".jpeg", ".jpe", ".jfif"),
    PNG: (".png",),
    GIF: (".gif",),
    WEBP: (".webp",),
    PDF: (".pdf",),
    DOCX: (".docx",),
    XLSX: (".xlsx",),
    PPTX: (".pptx",),
    ODT: (".odt",),
    ODS: (".ods",),
    ODP: (".odp",),
    TEXT: (".txt", ".text", ".log", ".md"),
    CSV: (".csv", ".txt"),
}
UNKNOWN_EXTENSION = ".bin"

# Extensions that are replaced, not kept, when a download name gets the extension of its real
# media type: ours, and those a desktop would open as a program, a page or an archive.
REPLACED_EXTENSIONS = frozenset(
    {extension for extensions in EXTENSIONS.values() for extension in extensions}
    | {
        ".apk", ".app", ".bat", ".bin", ".bmp", ".cmd", ".com", ".cpl", ".dll", ".dmg", ".doc", ".docm",
        ".dot", ".dotm", ".exe", ".gz", ".heic", ".hta", ".htm", ".html", ".iso", ".jar", ".js", ".jse",
        ".lnk", ".msi", ".odg", ".php", ".pl", ".potm", ".ppt", ".pptm", ".ps1", ".py", ".rar", ".rtf",
        ".scr", ".sh", ".svg", ".svgz", ".tar", ".tif", ".tiff", ".vbe", ".vbs", ".wsf", ".xhtml", ".xls",
        ".xlsm", ".xml", ".zip", ".7z",
    }
)  # fmt: skip
