"""Serving stored uploads safely: every file route calls `send_stored` after its own permission check.

The Content-Type is the one the content check decided (`storage.stored_kind` reads the stored bytes again), never
one derived from the name the user gave the file; anything that is not a JPG, PNG or PDF (a file an older version
stored) is a download. Every file response carries a sandboxing Content-Security-Policy, so even a file a browser
did render as a page could run no script and reach no cookie or CSRF token.
"""
import io
import os

from flask import abort, send_file

from app.domain.errors import DomainError
from app.services import storage

# Files are never framed by another page, never load anything, and run no script (sandbox: an opaque origin).
FILE_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"
# PDFs are shown inside our own review pages (<iframe>), so our pages may frame them; nothing else may.
PDF_CSP = "default-src 'none'; sandbox; frame-ancestors 'self'"


def download_name(filename: str | None, kind: str | None) -> str:
    """The user's file name with the extension of the type the content check decided (".html" never survives)."""
    stem = os.path.splitext(os.path.basename(filename or ""))[0].strip() or "file"
    return f"{stem}.{storage.EXTENSIONS.get(kind, 'bin')}"


def send_stored(relative_path: str | None, filename: str | None = None, *, max_age: int = 0):
    """Send a stored upload: type from its bytes, inline only for JPG/PNG/PDF, private, sandboxed. 404 if the
    path is not one storage wrote or the file is gone."""
    if not relative_path:
        abort(404)
    try:
        kind = storage.stored_kind(relative_path)
        path = storage.absolute_path(relative_path)
    except (DomainError, FileNotFoundError):
        abort(404)
    mimetype = storage.MIME_TYPES.get(kind, "application/octet-stream")
    resp = send_file(path, mimetype=mimetype, as_attachment=kind is None, download_name=download_name(filename, kind),
                     max_age=max_age)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = PDF_CSP if kind == "pdf" else FILE_CSP
    resp.headers["X-Frame-Options"] = "SAMEORIGIN" if kind == "pdf" else "DENY"
    # Staff photos, ID cards and certificates are personal data: a shared proxy or cache must never keep them.
    resp.cache_control.public = False
    resp.cache_control.private = True
    return resp


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def send_workbook(data: bytes, download_name: str):
    """A workbook built for this request (exports, templates): never cached, it may hold 证件号码."""
    resp = send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, max_age=0, download_name=download_name)
    resp.headers["Cache-Control"] = "no-store"
    return resp
