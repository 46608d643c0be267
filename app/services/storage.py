"""Uploaded files (photos, ID-card images, scanned documents): checked by content, stored by content hash.

Every refusal is a `DomainError` whose Chinese message names the field and the broken rule, because the people
uploading are clerks who must be able to fix the file themselves. Views do their own permission checks and then
serve files through `views/files.py` `send_stored`, which asks `stored_kind` (the bytes, never the file name) for the
Content-Type; nothing here looks at the request. A refused write (full disk) is `StorageFullError`, and `store_all`
removes what that save had written.
"""
from __future__ import annotations

import errno
import hashlib
import io
import logging
import math
import os
import re
import tempfile
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app
from PIL import Image, ImageOps
from pypdf import PdfReader

from app.domain.errors import DomainError

log = logging.getLogger(__name__)

IMAGE_MAX = 3 * 1024 * 1024
SCAN_MAX = 10 * 1024 * 1024
# Below Pillow's own decompression-bomb limit (~89 MP): a 3 MB PNG can otherwise decode to gigabytes of pixels.
MAX_PIXELS = 50_000_000
THUMB_SIZE = (240, 240)
JPEG_QUALITY = 90
THUMB_QUALITY = 85
# Readers look for %%EOF only near the end; scanners and mail gateways often append a few bytes after it.
PDF_EOF_WINDOW = 1024

KINDS = ("jpeg", "png", "pdf")  # also the order in which accepted types are named in messages
EXTENSIONS = {"jpeg": "jpg", "png": "png", "pdf": "pdf"}
_KIND_NAMES = {"jpeg": "JPG", "png": "PNG", "pdf": "PDF"}
# The only Content-Types stored files are ever served with: decided by the content check, never by a file name.
MIME_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}
STORAGE_FULL = "服务器存储空间不足，请联系管理员"
_PIL_FORMATS = {"jpeg": ("JPEG", "MPO"), "png": ("PNG",)}  # phones write MPO: a JPEG with extra frames
_MAGIC = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"%PDF-", "pdf"),
)
# Formats clerks commonly upload by mistake, named so the message tells them what they actually sent.
_OTHER_FORMATS = (
    (
        re.compile(rb"^....ftyp(heic|heix|hevc|heim|heis|mif1|msf1)", re.DOTALL),
        "HEIC 图片（苹果手机默认格式），请转换为 JPG 后再上传",
    ),
    (re.compile(rb"^RIFF....WEBP", re.DOTALL), "WebP 图片"),
    (re.compile(rb"^GIF8[79]a"), "GIF 图片"),
    (re.compile(rb"^BM"), "BMP 图片"),
    (re.compile(rb"^(II\*\x00|MM\x00\*)"), "TIFF 图片"),
    (re.compile(rb"^PK\x03\x04"), "Word/Excel 文档或压缩包"),
    (re.compile(rb"^\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), "旧版 Word/Excel 文档"),
)
_STORED_PATH = re.compile(r"^[0-9a-f]{2}/([0-9a-f]{64})\.(jpg|png|pdf|thumb\.jpg)$")
_MB = 1024 * 1024


class StoragePathError(DomainError, ValueError):
    """A relative path that is not one this module stored (e.g. an attempt to escape UPLOAD_FOLDER)."""


class StorageFullError(DomainError):
    """The upload folder refused a write (ENOSPC, quota, read-only, …): the clerk can do nothing but call the
    administrator, so the message says exactly that; the real error goes to the log."""


@dataclass(frozen=True)
class StoredFile:
    """One stored upload; paths are relative to UPLOAD_FOLDER, with '/' separators."""

    sha256: str
    kind: str
    size: int
    original_filename: str
    width: int | None
    height: int | None
    path: str
    thumb_path: str | None


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed the checks (`check_upload`), cleaned, not written yet: `store()` writes it. Forms check
    their uploads with the other fields and store them only when everything passed, so a refused form leaves no
    file behind (an ID-card photo of a form that was never saved is personal data nobody can reach or delete)."""

    kind: str
    data: bytes
    thumb: bytes | None
    width: int | None
    height: int | None
    original_filename: str
    field_label: str = ""

    def store(self) -> StoredFile:
        """Write the file (and its thumbnail); StorageFullError (a DomainError) if the disk refuses, and then
        nothing of this upload is left on disk."""
        return store_all([self])[0]

    def _store(self, written: list[str]) -> StoredFile:
        digest = hashlib.sha256(self.data).hexdigest()
        path = f"{digest[:2]}/{digest}.{EXTENSIONS[self.kind]}"
        thumb_path = f"{digest[:2]}/{digest}.thumb.jpg" if self.thumb is not None else None
        _write_once(path, self.data, written, self.field_label)
        if thumb_path:
            _write_once(thumb_path, self.thumb, written, self.field_label)
        return StoredFile(sha256=digest, kind=self.kind, size=len(self.data), original_filename=self.original_filename,
                          width=self.width, height=self.height, path=path, thumb_path=thumb_path)


def check_upload(
    data: bytes | bytearray | memoryview | BinaryIO,
    *,
    field_label: str,
    kinds: set[str],
    max_bytes: int,
    filename: str = "",
) -> CheckedUpload:
    """Check an upload by its content (kind, size, a real image or PDF) and clean it; DomainError if refused."""
    kinds = set(kinds)
    if not kinds or not kinds <= set(KINDS):
        raise ValueError(f"kinds must be a non-empty subset of {KINDS}, got {sorted(kinds)}")
    if max_bytes <= 0:
        raise ValueError("max_bytes must be positive")
    if not filename:
        filename = getattr(data, "filename", None) or ""  # werkzeug FileStorage carries the browser's name

    raw, total = _read_limited(data, max_bytes)
    if not raw:
        raise DomainError(f"{field_label}：文件为空")
    if len(raw) > max_bytes:
        raise DomainError(f"{field_label}：{_too_big(total, max_bytes)}")

    kind = _detect_kind(raw)
    if kind not in kinds:
        accepted = _join_names([_KIND_NAMES[k] for k in KINDS if k in kinds])
        if kind is not None:
            found = f"{_KIND_NAMES[kind]} 文件"
        else:
            found = next((name for pattern, name in _OTHER_FORMATS if pattern.match(raw)), None)
        sent = f"上传的文件是 {found}" if found else "上传的文件不是其中之一"
        raise DomainError(f"{field_label}：只接受 {accepted} 文件，{sent}（内容检测）")

    if kind == "pdf":
        _check_pdf(raw, field_label, kinds)
        return CheckedUpload(kind, raw, None, None, None, _clean_filename(filename), field_label)
    stored, width, height, thumb = _clean_image(raw, kind, field_label)
    return CheckedUpload(kind, stored, thumb, width, height, _clean_filename(filename), field_label)


def store_all(uploads: list[CheckedUpload]) -> list[StoredFile]:
    """Write checked uploads, all or none: if the disk refuses one (full, read-only, …), the files this call wrote
    are removed again and StorageFullError names the field; files that were already there (same content, used by
    other records) are left alone."""
    written: list[str] = []
    try:
        return [upload._store(written) for upload in uploads]
    except StorageFullError:
        for relative_path in written:
            try:
                os.unlink(os.path.join(_upload_root(), *relative_path.split("/")))
            except OSError:
                pass
        raise


def save_upload(
    data: bytes | bytearray | memoryview | BinaryIO,
    *,
    field_label: str,
    kinds: set[str],
    max_bytes: int,
    filename: str = "",
) -> StoredFile:
    """Check an upload by its content and store it under UPLOAD_FOLDER by content hash; DomainError if refused."""
    return check_upload(data, field_label=field_label, kinds=kinds, max_bytes=max_bytes, filename=filename).store()


def absolute_path(relative_path: str) -> str:
    """The absolute path of a stored file; StoragePathError (a DomainError and ValueError) if it is not one."""
    if not isinstance(relative_path, str) or not _STORED_PATH.match(relative_path):
        raise StoragePathError("文件路径无效")
    root = os.path.realpath(_upload_root())
    target = os.path.realpath(os.path.join(root, *relative_path.split("/")))
    # The pattern already forbids '..' and absolute paths; this also catches a symlink planted inside the folder.
    if os.path.commonpath([root, target]) != root:
        raise StoragePathError("文件路径无效")
    return target


def stored_kind(relative_path: str) -> str | None:
    """The kind of a stored file judged again from its bytes (never from its name or extension): "jpeg", "png",
    "pdf", or None for anything else (e.g. a file an older version stored without today's checks)."""
    with open(absolute_path(relative_path), "rb") as fh:
        return _detect_kind(fh.read(16))


def open_stored(relative_path: str) -> bytes:
    """The bytes of a stored file; StoragePathError if the path is invalid, FileNotFoundError if it is gone."""
    with open(absolute_path(relative_path), "rb") as fh:
        return fh.read()


# --- reading and checking -------------------------------------------------------------------------------------


def _read_limited(data, max_bytes: int) -> tuple[bytes, int | None]:
    """At most max_bytes + 1 bytes, so an oversized upload is never held in memory; plus the total size if known."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        view = memoryview(data).cast("B")  # slicing a view copies only what is kept
        return bytes(view[: max_bytes + 1]), view.nbytes
    start = _tell(data)
    chunks, remaining = [], max_bytes + 1
    while remaining > 0:  # raw streams may return fewer bytes than asked for
        chunk = data.read(min(remaining, 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    raw = b"".join(chunks)
    total = len(raw)
    if total > max_bytes:
        total = None
        if start is not None:
            try:
                total = data.seek(0, os.SEEK_END) - start  # the real size, for the message, without reading it
            except (AttributeError, OSError, ValueError):
                pass
    return raw, total


def _tell(fh) -> int | None:
    try:
        return fh.tell() if fh.seekable() else None
    except (AttributeError, OSError, ValueError):
        return None


def _detect_kind(raw: bytes) -> str | None:
    return next((kind for magic, kind in _MAGIC if raw.startswith(magic)), None)


def _check_pdf(raw: bytes, field_label: str, kinds: set[str]) -> None:
    """A real PDF: pypdf reads its structure (cross-reference table, catalogue, page tree) and finds a page. The
    first and last bytes alone prove nothing: a web page wrapped in `%PDF-` … `%%EOF` passed that test."""
    accepted = _join_names([_KIND_NAMES[k] for k in KINDS if k in kinds])
    refused = DomainError(f"{field_label}：PDF 文件已损坏、不完整或不是真正的 PDF，无法打开；只接受 {accepted} 文件")
    if b"%%EOF" not in raw[-PDF_EOF_WINDOW:]:
        raise refused
    # pypdf raises many exception types on malformed input; for untrusted bytes they all mean "not a PDF".
    # Not strict: scanners often write slightly wrong cross-reference offsets, which every viewer repairs.
    try:
        reader = PdfReader(io.BytesIO(raw), strict=False)
        encrypted = reader.is_encrypted
    except Exception as exc:
        raise refused from exc
    if encrypted:  # an owner password only (printing/copy restrictions) opens with the empty user password
        try:
            opened = bool(reader.decrypt(""))
        except Exception:
            opened = False
        if not opened:
            raise DomainError(f"{field_label}：PDF 文件有密码保护或加密，无法检查，请上传未加密的 PDF")
    try:
        pages = len(reader.pages)
    except Exception as exc:
        raise refused from exc
    if pages < 1:
        raise refused


def _clean_image(raw: bytes, kind: str, field_label: str) -> tuple[bytes, int, int, bytes]:
    """Re-encode an image upright and without metadata; returns (stored bytes, width, height, thumbnail bytes)."""
    broken = DomainError(f"{field_label}：图片已损坏，无法打开")
    formats = list(_PIL_FORMATS[kind])
    # Pillow raises many exception types on malformed input (OSError, SyntaxError, struct.error, ...):
    # for untrusted bytes they all mean the same thing to the clerk.
    try:
        with Image.open(io.BytesIO(raw), formats=formats) as probe:
            size = probe.size
            probe.verify()
    except Image.DecompressionBombError:
        raise DomainError(f"{field_label}：{_too_many_pixels(None)}") from None
    except Exception as exc:
        raise broken from exc
    if size[0] * size[1] > MAX_PIXELS:
        raise DomainError(f"{field_label}：{_too_many_pixels(size)}")

    try:
        with Image.open(io.BytesIO(raw), formats=formats) as img:
            img.load()  # verify() does not decode JPEG data: a truncated JPEG only fails here
            upright = ImageOps.exif_transpose(img)
    except Exception as exc:
        raise broken from exc

    # Keep only what rendering needs: EXIF (GPS, camera serial), XMP and comments must not survive in the copy.
    kept = {key: upright.info[key] for key in ("icc_profile", "transparency", "dpi") if key in upright.info}
    upright.info = dict(kept)
    out = io.BytesIO()
    if kind == "jpeg":
        if upright.mode not in ("L", "RGB", "CMYK"):
            upright = upright.convert("RGB")
        options = {k: v for k, v in kept.items() if k != "transparency"}
        upright.save(out, format="JPEG", quality=JPEG_QUALITY, **options)
    else:
        upright.save(out, format="PNG", **kept)
    return out.getvalue(), upright.width, upright.height, _thumbnail(upright)


def _thumbnail(img: Image.Image) -> bytes:
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        thumb = Image.new("RGB", rgba.size, "white")  # JPEG has no alpha: transparent areas become white
        thumb.paste(rgba, mask=rgba.getchannel("A"))
    else:
        thumb = img.convert("RGB")
    thumb.thumbnail(THUMB_SIZE, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    thumb.save(out, format="JPEG", quality=THUMB_QUALITY)
    return out.getvalue()


# --- messages ---------------------------------------------------------------------------------------------------


def _join_names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else "、".join(names[:-1]) + " 或 " + names[-1]


def _format_size(n: int, *, round_up: bool = False) -> str:
    for unit, name in ((_MB, "MB"), (1024, "KB")):
        if n >= unit:
            value = math.ceil(n * 10 / unit) / 10 if round_up else round(n / unit, 1)
            return f"{value:.1f}".removesuffix(".0") + f" {name}"
    return f"{n} 字节"


def _too_big(total: int | None, limit: int) -> str:
    limit_text = _format_size(limit)
    if total is None:
        return f"文件大小超过 {limit_text} 上限"
    shown = _format_size(total)
    if shown == limit_text:  # "3 MB 超过 3 MB" would puzzle the clerk: round up instead
        shown = _format_size(total, round_up=True)
    if shown == limit_text:
        shown = f"{total:,} 字节"
    return f"文件大小 {shown}，超过 {limit_text} 上限"


def _too_many_pixels(size: tuple[int, int] | None) -> str:
    limit = f"{MAX_PIXELS // 10_000} 万像素"
    if size is None:
        return f"图片尺寸过大，超过 {limit}上限"
    return f"图片尺寸 {size[0]}×{size[1]} 过大，超过 {limit}上限"


def _clean_filename(filename: str) -> str:
    """The base name only, without control characters: it is shown back to users, never used in a path."""
    name = re.split(r"[\\/]", str(filename))[-1]  # old browsers send the full client path
    name = "".join(ch for ch in name if ch.isprintable())
    return name.strip()[:255]


# --- writing ----------------------------------------------------------------------------------------------------


def _upload_root() -> str:
    root = current_app.config.get("UPLOAD_FOLDER")
    if not root:
        raise RuntimeError("UPLOAD_FOLDER is not configured")
    return root


def _write_once(relative_path: str, content: bytes, written: list[str], field_label: str = "") -> None:
    """Write atomically, once: the name is the content hash, so an existing file already holds these bytes.
    A path this call wrote is added to `written`; an OSError becomes StorageFullError naming the field."""
    target = os.path.join(_upload_root(), *relative_path.split("/"))
    if os.path.exists(target):
        return
    # a concurrent save of the same content replacing it is harmless because the bytes are identical
    try:
        write_atomic(target, content)
    except OSError as exc:
        raise storage_full(exc, field_label) from exc
    written.append(relative_path)


def storage_full(exc: OSError, field_label: str = "") -> StorageFullError:
    """The error a clerk sees when the disk refused an upload; the cause is logged for the administrator."""
    log.error("upload not written (%s): %s", errno.errorcode.get(exc.errno or 0, exc.errno), exc)
    return StorageFullError(f"{field_label}：{STORAGE_FULL}" if field_label else STORAGE_FULL)


def write_atomic(target: str, content: bytes) -> None:
    """Write a file so that readers see either no file (or the previous one) or the whole new file, never a
    half-written one: a temporary file in the same folder, flushed to disk, then renamed over the target."""
    folder = os.path.dirname(target)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
