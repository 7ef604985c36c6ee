"""What an uploaded file really is, decided from its bytes, never from its name.

Accepted: JPEG, PNG and WebP images (decoded and re-encoded with Pillow:
EXIF, GPS included, is dropped after its orientation is applied; WebP
becomes JPEG or PNG) and PDF documents (kept as they are, after checks of
their structure). Everything else, and every file that is also something
else (a polyglot), is refused with one message a registrar can act on.
"""

import io
import re
import tempfile
import unicodedata
import warnings
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from School.documents.storage import CHUNK

JPEG, PNG, WEBP, PDF = "image/jpeg", "image/png", "image/webp", "application/pdf"
IMAGE_TYPES = frozenset({JPEG, PNG, WEBP})
THUMBNAIL_SIZE = (240, 240)
# Extensions that say what a file is: two of them in one name (`scan.pdf.html`)
# is a disguise, whatever the content turns out to be.
TYPE_EXTENSIONS = frozenset(
    "pdf jpg jpeg jpe png webp gif bmp tif tiff svg svgz html htm xhtml shtml xml js mjs exe com bat cmd scr "
    "msi dll ps1 vbs jar sh php py pl cgi asp aspx jsp zip rar 7z gz tar doc docx xls xlsx ppt pptx rtf txt "
    "csv hta lnk".split()
)
# Markers of markup inside a file that claims to be an image or a PDF:
# browsers look for them anywhere. A tag name must be followed by what ends
# it in HTML, so that random bytes of compressed data (1 in 256 is "<") do
# not refuse good files; every "<" is looked at with one startswith().
MARKUP_TAGS = tuple(
    b"<" + tag + end
    for tag in (b"script", b"html", b"!doctype", b"svg", b"iframe", b"body", b"object", b"embed")
    for end in (b" ", b">", b"/", b"\n", b"\t", b"\r")
)
MARKUP_REACH = 1024 * 1024
# Long enough never to occur by chance; a JavaScript action names its type
# /JavaScript, so the shorter /JS key needs no search of its own.
PDF_ACTIVE_NAMES = (b"JavaScript", b"Launch", b"EmbeddedFile", b"RichMedia")
PDF_ACTIVE = re.compile(rb"/(?:" + b"|".join(PDF_ACTIVE_NAMES) + rb")")
# A name may spell any of its bytes as #xx (/J#61vaScript is /JavaScript to
# a reader): names with an escape are decoded before they are compared.
PDF_ESCAPED_NAME = re.compile(rb"/[^\x00\t\n\x0c\r ()<>\[\]{}/%]*#[0-9A-Fa-f]{2}[^\x00\t\n\x0c\r ()<>\[\]{}/%]*")
PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# A zip is found by its end record, within its last 64 KiB: a file with one
# there opens as an archive too (a JPEG+ZIP polyglot).
ZIP_END = b"PK\x05\x06"
ZIP_END_REACH = 65557
OVERLAP = 64


class FileRefused(Exception):
    """An upload that is not stored; the message says why, for the person who sent it."""


@dataclass
class CleanFile:
    """What will be stored: the server's own type and bytes, and a safe display name."""

    content_type: str
    extension: str
    display_name: str
    body: object  # a binary file object positioned at 0
    thumbnail: bytes = b""
    notes: list = field(default_factory=list)

    def chunks(self):
        self.body.seek(0)
        while chunk := self.body.read(CHUNK):
            yield chunk

    @property
    def is_image(self):
        return self.content_type in IMAGE_TYPES


def safe_display_name(name):
    """The uploaded name as text that is harmless to show and to offer as a download name.

    No directories (`../../etc/passwd` is `passwd`), no NUL, control or
    format characters (right-to-left override turns `gpj.exe` around), no
    leading dots, at most 150 characters.
    """
    name = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
    name = name.replace('"', "'").strip().lstrip(".").strip()
    if len(name) > 150:
        stem, dot, suffix = name.rpartition(".")
        name = f"{stem[: 140 - len(suffix)]}.{suffix}" if dot and len(suffix) <= 8 else name[:150]
    return name or "file"


def check_name(name):
    """Refuse names that disguise one type as another (`invoice.pdf.exe`, `photo.jpg.html`)."""
    parts = safe_display_name(name).lower().split(".")[1:]
    if sum(1 for part in parts if part in TYPE_EXTENSIONS) > 1:
        raise FileRefused(_("The file name has two extensions (%(name)s): rename it and upload it again.") % {
            "name": safe_display_name(name)
        })


def sniff(head):
    """The allowed type that the first bytes announce, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    return None


def _refuse_unknown(head):
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<"):
        raise FileRefused(_("Web pages and SVG drawings are not accepted: upload a PDF, JPEG, PNG or WebP file."))
    raise FileRefused(_("This type of file is not accepted: upload a PDF, JPEG, PNG or WebP file."))


def _has_markup(lowered):
    if b"javascript:" in lowered:
        return True
    position = lowered.find(b"<")
    while position >= 0:
        if lowered.startswith(MARKUP_TAGS, position):
            return True
        position = lowered.find(b"<", position + 1)
    return False


def has_active_content(data):
    """Does this piece of a PDF name a script, an action, an attachment or rich media, escaped or not?"""
    if PDF_ACTIVE.search(data):
        return True
    for name in PDF_ESCAPED_NAME.finditer(data):
        decoded = PDF_NAME_ESCAPE.sub(lambda escape: bytes([int(escape.group(1), 16)]), name.group()[1:])
        if decoded.startswith(PDF_ACTIVE_NAMES):
            return True
    return False


def _scan(handle, size, pdf):
    """Refuse markup at either end, an archive at the end, or (in a PDF) active content anywhere.

    Markup is looked for in the first and last MARKUP_REACH bytes, where
    browsers and other sniffers look (and where a polyglot puts it): the
    middle of a large PDF is compressed streams, served as a PDF, sandboxed.
    """
    handle.seek(0)
    tail, offset = b"", 0
    while chunk := handle.read(CHUNK):
        window = tail + chunk
        offset += len(chunk)
        at_an_end = offset - len(window) < MARKUP_REACH or offset > size - MARKUP_REACH
        if at_an_end and _has_markup(window.lower()):
            raise FileRefused(_("The file holds web page code as well: it is not accepted."))
        if pdf and has_active_content(window):
            raise FileRefused(_("The PDF holds scripts, attachments or actions: print it to a plain PDF first."))
        tail = window[-OVERLAP:]
    handle.seek(max(0, handle.tell() - ZIP_END_REACH))
    if ZIP_END in handle.read():
        raise FileRefused(_("The file holds an archive as well: it is not accepted."))


def _check_pdf(handle, size):
    handle.seek(max(0, size - 2048))
    end = handle.read()
    position = end.rfind(b"%%EOF")
    if position < 0 or b"startxref" not in end or end[position + 5 :].strip(b"\r\n\t \x00"):
        raise FileRefused(_("The PDF is incomplete or damaged (or has something appended): it is not accepted."))


def _open_image(handle, expected):
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = settings.SCHOOL_IMAGE_MAX_PIXELS
    handle.seek(0)
    try:
        with warnings.catch_warnings():
            # Over the limit is a warning up to twice the limit, an error beyond:
            # both are refused.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(handle, formats=[expected.split("/")[1].upper()])
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise FileRefused(_("The image is too large (over %(pixels)s million pixels).") % {
            "pixels": settings.SCHOOL_IMAGE_MAX_PIXELS // 1_000_000
        }) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise FileRefused(_("The image is damaged or incomplete: it could not be read.")) from None
    return image


def _reencode(image, source_type):
    """New bytes from the pixels alone: upright, no EXIF/GPS, no comments, nothing appended."""
    from PIL import ImageOps

    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    target = PNG if source_type == PNG or has_alpha else JPEG
    out = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)
    if target == JPEG:
        image.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
    else:
        image.convert("RGBA" if has_alpha else "RGB").save(out, "PNG", optimize=False)
    thumb = image.convert("RGB")
    thumb.thumbnail(THUMBNAIL_SIZE)
    thumbnail = io.BytesIO()
    thumb.save(thumbnail, "JPEG", quality=82)
    out.seek(0)
    return target, out, thumbnail.getvalue()


def inspect(handle, name, *, size, images_only=False):
    """A CleanFile from an uploaded file object (seekable) of `size` bytes; FileRefused if it is not acceptable."""
    display_name = safe_display_name(name)
    check_name(name)
    if size <= 0:
        raise FileRefused(_("The file is empty."))
    if size > settings.SCHOOL_FILE_MAX_BYTES:
        raise FileRefused(_("The file is larger than the limit of %(limit)s MiB.") % {
            "limit": round(settings.SCHOOL_FILE_MAX_BYTES / 1024 / 1024, 1)
        })
    handle.seek(0)
    head = handle.read(64)
    kind = sniff(head)
    if kind is None:
        _refuse_unknown(head)
    if images_only and kind not in IMAGE_TYPES:
        raise FileRefused(_("A photo must be a JPEG, PNG or WebP image."))
    _scan(handle, size, pdf=kind == PDF)
    if kind == PDF:
        _check_pdf(handle, size)
        handle.seek(0)
        return CleanFile(PDF, "pdf", display_name, handle)
    image = _open_image(handle, kind)
    try:
        content_type, body, thumbnail = _reencode(image, kind)
    except (OSError, ValueError):  # a mode Pillow cannot turn into RGB, a frame it cannot write
        raise FileRefused(_("The image could not be converted: save it as an ordinary JPEG or PNG.")) from None
    extension = "png" if content_type == PNG else "jpg"
    stem = display_name.rsplit(".", 1)[0] if "." in display_name else display_name
    return CleanFile(content_type, extension, f"{stem}.{extension}", body, thumbnail)
