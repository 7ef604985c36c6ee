"""Responses that hand out a stored file: streamed, typed by the server, sandboxed, private.

Only the server's own content type is ever sent (the one inspection
decided); a PDF answers single HTTP ranges (a browser's viewer asks for
pieces); nothing is read whole into memory.
"""

import re

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from School.documents.inspection import IMAGE_TYPES, PDF
from School.documents.storage import CHUNK

INLINE_TYPES = IMAGE_TYPES | {PDF}
# User content may show, never run: no script, no form, no plugin, own origin denied.
SANDBOX = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'; frame-ancestors 'self'"
SMALL = 64 * 1024  # images up to this size (thumbnails) are answered from memory
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _secure(response, content_type, download_name, size):
    response["Content-Type"] = content_type
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX
    response["Cache-Control"] = "private, max-age=0, must-revalidate"
    response["Content-Disposition"] = content_disposition_header(content_type not in INLINE_TYPES, download_name)
    response["Content-Length"] = str(size)
    # A page of ours may frame a PDF of ours (X-Frame-Options DENY would not).
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


def _limited(handle, start, length):
    try:
        handle.seek(start)
        while length > 0:
            chunk = handle.read(min(CHUNK, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk
    finally:
        handle.close()


def byte_range(header, size):
    """(start, end inclusive) of a single `bytes=` range, None for none or several, "bad" if unsatisfiable."""
    match = RANGE.match(header.strip()) if header else None
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return "bad"
    if not first:  # the last N bytes
        length = int(last)
        return (max(0, size - length), size - 1) if length else "bad"
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return "bad"
    return start, end


def file_response(request, handle, *, content_type, size, download_name):
    """Stream `handle` (closed when done); a PDF honours a Range header."""
    wanted = byte_range(request.headers.get("Range", ""), size) if content_type == PDF else None
    if wanted == "bad":
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return _secure(response, content_type, download_name, 0)
    if wanted is not None:
        start, end = wanted
        response = StreamingHttpResponse(_limited(handle, start, end - start + 1), status=206)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response = _secure(response, content_type, download_name, end - start + 1)
    elif size <= SMALL and content_type in IMAGE_TYPES:
        # A thumbnail: one write with the headers (a separate sendfile of a
        # few KB costs more than it saves).
        with handle:
            response = _secure(HttpResponse(handle.read(SMALL + 1)), content_type, download_name, size)
    else:
        # FileResponse hands a real file to the server's sendfile where it can.
        response = _secure(FileResponse(handle), content_type, download_name, size)
    if content_type == PDF:
        response["Accept-Ranges"] = "bytes"
    return response


def is_first_piece(request):
    """A full download, or the first piece of a ranged one: what the audit trail counts as one download."""
    header = request.headers.get("Range", "")
    return not header or header.replace(" ", "").startswith("bytes=0-")
