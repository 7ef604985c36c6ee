"""A school's logo: checked and re-encoded exactly as students' photos are, then made header-sized.

School/documents/inspection.py decides the type from the bytes (SVG, web
pages and polyglots are refused there), guards against decompression bombs
and re-encodes the pixels alone; here the result is only scaled down.
"""

import io

from School.branding.refusals import BrandingRefused
from School.documents.inspection import PNG, FileRefused, inspect

# Wide logos are the rule (a crest and a name); twice the header's height for sharp screens.
LOGO_BOX = (480, 160)


def clean_logo(handle, name, size):
    """(content type, bytes) of an uploaded logo (a seekable binary file); BrandingRefused if it is not acceptable."""
    from PIL import Image

    try:
        clean = inspect(handle, name, size=size, images_only=True)
    except FileRefused as error:
        raise BrandingRefused(str(error)) from None
    with Image.open(clean.body) as image:
        image.thumbnail(LOGO_BOX)
        out = io.BytesIO()
        if clean.content_type == PNG:
            image.save(out, "PNG", optimize=True)
        else:
            image.save(out, "JPEG", quality=88, optimize=True)
    return clean.content_type, out.getvalue()


def read_logo_file(path):
    """clean_logo() of a file named on the command line."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, io.SEEK_END)
            size = handle.tell()
            return clean_logo(handle, str(path), size)
    except OSError as error:
        raise BrandingRefused(f"{path}: {error.strerror or error}") from None
