"""Uploads: type by content, size and damage refused in Chinese, images upright without EXIF, stored by hash."""
import io
import os

import pytest
from PIL import ExifTags, Image
from werkzeug.datastructures import FileStorage

from app.domain.errors import DomainError
from app.services import storage
from app.services.storage import IMAGE_MAX, SCAN_MAX, StoragePathError, open_stored, save_upload

IMAGES = {"jpeg", "png"}
ALL = {"jpeg", "png", "pdf"}
RED, BLUE = (255, 0, 0), (0, 0, 255)


@pytest.fixture
def upload_dir(app, tmp_path, monkeypatch):
    """A fresh UPLOAD_FOLDER per test, so file counts on disk belong to this test alone."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    return folder


def _image_bytes(fmt="PNG", size=(40, 20), mode="RGB", color=RED, **save):
    img = Image.new(mode, size, color)
    out = io.BytesIO()
    img.save(out, format=fmt, **save)
    return out.getvalue()


def _noisy_jpeg(size=(400, 300)):
    """A JPEG whose entropy-coded data is large, so cutting it in half really removes image data."""
    img = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=95)
    return out.getvalue()


def _minimal_pdf():
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _files_on_disk(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _refusal(data, **kw):
    kw.setdefault("field_label", "审核材料")
    kw.setdefault("kinds", ALL)
    kw.setdefault("max_bytes", SCAN_MAX)
    with pytest.raises(DomainError) as caught:
        save_upload(data, **kw)
    return caught.value.message


# --- images -----------------------------------------------------------------------------------------------------


def test_jpeg_is_turned_upright_and_loses_exif_and_gps(upload_dir):
    # Left half red, right half blue; orientation 6 means "rotate 90° clockwise to display",
    # so the upright picture is 20 wide, 40 high, red on top.
    img = Image.new("RGB", (40, 20), BLUE)
    img.paste(RED, (0, 0, 20, 20))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "TestPhone"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 14.0, 5.0)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif, quality=95)
    raw = buf.getvalue()
    with Image.open(io.BytesIO(raw)) as original:  # the fixture really carries what must be removed
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"

    stored = save_upload(raw, field_label="身份证正面照片", kinds=IMAGES, max_bytes=IMAGE_MAX, filename="id.jpg")

    assert (stored.kind, stored.width, stored.height) == ("jpeg", 20, 40)
    data = open_stored(stored.path)
    assert b"Exif" not in data and b"TestPhone" not in data
    with Image.open(io.BytesIO(data)) as result:
        assert result.format == "JPEG" and result.size == (20, 40)
        assert "exif" not in result.info
        assert dict(result.getexif()) == {}
        assert result.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
        top, bottom = result.getpixel((10, 5)), result.getpixel((10, 35))
    assert top[0] > 200 and top[2] < 60, top  # red
    assert bottom[2] > 200 and bottom[0] < 60, bottom  # blue


def test_png_is_stored_with_its_fields(upload_dir):
    raw = _image_bytes("PNG", size=(64, 48), mode="RGBA", color=(0, 128, 0, 128))

    stored = save_upload(raw, field_label="证件照", kinds=IMAGES, max_bytes=IMAGE_MAX, filename="photo.png")

    assert stored.kind == "png" and (stored.width, stored.height) == (64, 48)
    assert stored.original_filename == "photo.png"
    assert stored.path == f"{stored.sha256[:2]}/{stored.sha256}.png"
    assert stored.thumb_path == f"{stored.sha256[:2]}/{stored.sha256}.thumb.jpg"
    data = open_stored(stored.path)
    assert stored.size == len(data) and storage.hashlib.sha256(data).hexdigest() == stored.sha256
    with Image.open(io.BytesIO(data)) as result:
        assert result.format == "PNG" and result.mode == "RGBA"
        assert result.getpixel((0, 0)) == (0, 128, 0, 128)  # lossless, alpha kept


def test_png_named_jpg_is_classified_by_content(upload_dir):
    stored = save_upload(_image_bytes("PNG"), field_label="证件照", kinds=IMAGES, max_bytes=IMAGE_MAX,
                         filename="photo.jpg")

    assert stored.kind == "png" and stored.path.endswith(".png")
    assert stored.original_filename == "photo.jpg"


def test_text_named_jpg_is_refused_by_content(upload_dir):
    message = _refusal(b"just some text, not a picture\n", filename="photo.jpg")

    assert message == "审核材料：只接受 JPG、PNG 或 PDF 文件，上传的文件不是其中之一（内容检测）"
    assert _files_on_disk(upload_dir) == []


def test_known_but_unaccepted_format_is_named(upload_dir):
    gif = _image_bytes("GIF")
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 32

    assert _refusal(gif, kinds=IMAGES, field_label="证件照") == (
        "证件照：只接受 JPG 或 PNG 文件，上传的文件是 GIF 图片（内容检测）")
    assert _refusal(heic, kinds=IMAGES, field_label="证件照") == (
        "证件照：只接受 JPG 或 PNG 文件，上传的文件是 HEIC 图片（苹果手机默认格式），请转换为 JPG 后再上传（内容检测）")


def test_image_over_limit_is_refused_naming_size_and_limit(upload_dir):
    raw = _image_bytes("PNG") + b"\x00" * IMAGE_MAX  # valid start, 3 MB + more than 1 byte
    assert _refusal(b"\xff" * (IMAGE_MAX + 1), field_label="身份证正面照片", kinds=IMAGES,
                    max_bytes=IMAGE_MAX) == "身份证正面照片：文件大小 3.1 MB，超过 3 MB 上限"
    assert _refusal(b"\xff" * int(4.2 * 1024 * 1024), field_label="身份证正面照片", kinds=IMAGES,
                    max_bytes=IMAGE_MAX) == "身份证正面照片：文件大小 4.2 MB，超过 3 MB 上限"
    assert "超过 3 MB 上限" in _refusal(raw, kinds=IMAGES, max_bytes=IMAGE_MAX)
    # Exactly at the limit is not refused for size (it fails later, for content).
    assert "上限" not in _refusal(b"\xff" * IMAGE_MAX, kinds=IMAGES, max_bytes=IMAGE_MAX)
    assert _files_on_disk(upload_dir) == []


class _CountingStream(io.BytesIO):
    """Records how many bytes were read, to prove an oversized upload is not read whole."""

    def __init__(self, data, seekable=True):
        super().__init__(data)
        self.bytes_read = 0
        self._seekable = seekable

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk

    def seekable(self):
        return self._seekable


def test_oversized_stream_is_read_only_up_to_the_limit(upload_dir):
    stream = _CountingStream(b"\xff" * (10 * 1024 * 1024))
    assert _refusal(stream, field_label="审核材料", max_bytes=IMAGE_MAX) == "审核材料：文件大小 10 MB，超过 3 MB 上限"
    assert stream.bytes_read == IMAGE_MAX + 1

    unseekable = _CountingStream(b"\xff" * (10 * 1024 * 1024), seekable=False)
    assert _refusal(unseekable, max_bytes=SCAN_MAX // 2) == "审核材料：文件大小超过 5 MB 上限"
    assert unseekable.bytes_read == SCAN_MAX // 2 + 1


def test_empty_file_is_refused(upload_dir):
    assert _refusal(b"", field_label="身份证背面照片") == "身份证背面照片：文件为空"
    assert _refusal(io.BytesIO(b""), field_label="身份证背面照片") == "身份证背面照片：文件为空"


def test_truncated_images_are_refused(upload_dir):
    jpeg = _noisy_jpeg()
    png = _image_bytes("PNG", size=(200, 200))

    assert _refusal(jpeg[: len(jpeg) // 2], field_label="证件照", kinds=IMAGES) == "证件照：图片已损坏，无法打开"
    assert _refusal(png[: len(png) - 20], field_label="证件照", kinds=IMAGES) == "证件照：图片已损坏，无法打开"
    assert _refusal(b"\xff\xd8\xff" + b"\x00" * 100, field_label="证件照") == "证件照：图片已损坏，无法打开"
    assert _files_on_disk(upload_dir) == []


def test_too_many_pixels_is_refused(upload_dir, monkeypatch):
    monkeypatch.setattr(storage, "MAX_PIXELS", 10_000)

    assert _refusal(_image_bytes("PNG", size=(200, 60)), field_label="证件照") == (
        "证件照：图片尺寸 200×60 过大，超过 1 万像素上限")
    assert save_upload(_image_bytes("PNG", size=(100, 100)), field_label="证件照", kinds=IMAGES,
                       max_bytes=IMAGE_MAX).width == 100


def test_thumbnail_is_a_small_jpeg_beside_the_image(upload_dir):
    stored = save_upload(_image_bytes("JPEG", size=(1000, 600)), field_label="证件照", kinds=IMAGES,
                         max_bytes=IMAGE_MAX)

    assert os.path.dirname(stored.thumb_path) == os.path.dirname(stored.path)
    with Image.open(io.BytesIO(open_stored(stored.thumb_path))) as thumb:
        assert thumb.format == "JPEG" and thumb.mode == "RGB"
        assert max(thumb.size) <= 240 and thumb.size == (240, 144)


def test_transparent_png_thumbnail_has_white_background(upload_dir):
    stored = save_upload(_image_bytes("PNG", mode="RGBA", color=(0, 0, 0, 0)), field_label="证件照",
                         kinds=IMAGES, max_bytes=IMAGE_MAX)

    with Image.open(io.BytesIO(open_stored(stored.thumb_path))) as thumb:
        assert min(thumb.getpixel((0, 0))) > 245


# --- PDF --------------------------------------------------------------------------------------------------------


def test_minimal_pdf_is_stored_as_is(upload_dir):
    pdf = _minimal_pdf()

    stored = save_upload(pdf, field_label="审核材料", kinds={"pdf"}, max_bytes=SCAN_MAX, filename="材料.pdf")

    assert (stored.kind, stored.width, stored.height, stored.thumb_path) == ("pdf", None, None, None)
    assert stored.path.endswith(".pdf") and stored.original_filename == "材料.pdf"
    assert open_stored(stored.path) == pdf
    assert _files_on_disk(upload_dir) == [stored.path]


def test_pdf_is_refused_where_only_images_are_accepted(upload_dir):
    assert _refusal(_minimal_pdf(), field_label="证件照", kinds={"jpeg", "png"}) == (
        "证件照：只接受 JPG 或 PNG 文件，上传的文件是 PDF 文件（内容检测）")
    assert _refusal(_image_bytes("PNG"), field_label="审核材料", kinds={"pdf"}) == (
        "审核材料：只接受 PDF 文件，上传的文件是 PNG 文件（内容检测）")


def test_pdf_without_end_marker_is_refused(upload_dir):
    pdf = _minimal_pdf()

    broken = "审核材料：PDF 文件已损坏、不完整或不是真正的 PDF，无法打开；只接受 PDF 文件"
    assert _refusal(pdf[:-10], kinds={"pdf"}) == broken
    assert _refusal(pdf + b"\n" * 2000, kinds={"pdf"}) == broken
    assert save_upload(pdf + b"\r\n", field_label="审核材料", kinds={"pdf"}, max_bytes=SCAN_MAX).kind == "pdf"


# A web page between the first and last bytes of a PDF passed the old check (first "%PDF-", last "%%EOF").
HTML_IN_PDF_SHELL = b"%PDF-1.4\n<html><body><script>window.__pwned = 1</script></body></html>\n%%EOF\n"


@pytest.mark.parametrize("data", [
    HTML_IN_PDF_SHELL,
    b"%PDF-1.7\n%%EOF\n",
    _minimal_pdf().replace(b"/Kids [3 0 R] /Count 1", b"/Kids [] /Count 0"),  # a structure without any page
], ids=["html-in-pdf-shell", "header-and-marker-only", "no-page"])
def test_pdf_must_have_a_real_structure_and_a_page(upload_dir, data):
    assert _refusal(data) == (
        "审核材料：PDF 文件已损坏、不完整或不是真正的 PDF，无法打开；只接受 JPG、PNG 或 PDF 文件")
    assert _files_on_disk(upload_dir) == []


def test_stored_kind_reads_the_bytes_not_the_name(upload_dir):
    stored = save_upload(_minimal_pdf(), field_label="审核材料", kinds=ALL, max_bytes=SCAN_MAX, filename="批复文件.html")
    (upload_dir / "ab").mkdir()
    page = upload_dir / "ab" / ("b" * 64 + ".jpg")  # what an older version might have left: a page named .jpg
    page.write_bytes(b"<html><script>alert(1)</script></html>")

    assert storage.stored_kind(stored.path) == "pdf"
    assert storage.stored_kind("ab/" + "b" * 64 + ".jpg") is None


# --- a full disk -------------------------------------------------------------------------------------------------


def _full_disk_after(monkeypatch, n_writes):
    """write_atomic succeeds n_writes times, then raises ENOSPC as a full disk does."""
    import errno

    real, calls = storage.write_atomic, {"n": 0}

    def write(target, content):
        calls["n"] += 1
        if calls["n"] > n_writes:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(target, content)

    monkeypatch.setattr(storage, "write_atomic", write)


def test_full_disk_is_a_chinese_message_and_leaves_nothing_of_the_call(upload_dir, monkeypatch):
    kept = save_upload(_image_bytes("PNG", color=BLUE), field_label="照片", kinds=IMAGES, max_bytes=IMAGE_MAX)
    before = _files_on_disk(upload_dir)
    first = storage.check_upload(_image_bytes("PNG"), field_label="附件", kinds=IMAGES, max_bytes=IMAGE_MAX)
    again = storage.check_upload(_image_bytes("PNG", color=BLUE), field_label="附件", kinds=IMAGES, max_bytes=IMAGE_MAX)
    third = storage.check_upload(_minimal_pdf(), field_label="附件", kinds=ALL, max_bytes=SCAN_MAX)
    _full_disk_after(monkeypatch, 2)  # the first image and its thumbnail are written, then the disk is full

    with pytest.raises(storage.StorageFullError) as caught:
        storage.store_all([first, again, third])

    assert caught.value.message == "附件：服务器存储空间不足，请联系管理员"
    assert _files_on_disk(upload_dir) == before  # this call's files removed, the older identical file kept
    assert (upload_dir / kept.path).exists()


# --- storage ----------------------------------------------------------------------------------------------------


def test_same_content_twice_is_stored_once(upload_dir):
    raw = _noisy_jpeg((120, 80))

    first = save_upload(raw, field_label="证件照", kinds=IMAGES, max_bytes=IMAGE_MAX, filename="a.jpg")
    inode = os.stat(upload_dir / first.path).st_ino
    second = save_upload(io.BytesIO(raw), field_label="证件照", kinds=IMAGES, max_bytes=IMAGE_MAX, filename="b.jpg")

    assert first.path == second.path and first.sha256 == second.sha256
    assert (first.original_filename, second.original_filename) == ("a.jpg", "b.jpg")
    assert _files_on_disk(upload_dir) == sorted([first.path, first.thumb_path])  # and no temp files left over
    assert os.stat(upload_dir / first.path).st_ino == inode  # the existing file was not written again


def test_filename_is_metadata_only(upload_dir):
    stored = save_upload(_image_bytes("PNG"), field_label="证件照", kinds=IMAGES, max_bytes=IMAGE_MAX,
                         filename="..\\..\\C:\\Users\\张三\\身份证\x00.png")

    assert stored.original_filename == "身份证.png"
    assert "身份证" not in stored.path and ".." not in stored.path
    assert _files_on_disk(upload_dir) == sorted([stored.path, stored.thumb_path])


def test_werkzeug_file_storage_is_accepted_with_its_filename(upload_dir):
    upload = FileStorage(stream=io.BytesIO(_image_bytes("PNG")), filename="scan.png", content_type="image/png")

    stored = save_upload(upload, field_label="证件照", kinds=IMAGES, max_bytes=IMAGE_MAX)

    assert stored.kind == "png" and stored.original_filename == "scan.png"


def test_invalid_kinds_is_a_programming_error(upload_dir):
    with pytest.raises(ValueError):
        save_upload(_image_bytes("PNG"), field_label="证件照", kinds={"gif"}, max_bytes=IMAGE_MAX)
    with pytest.raises(ValueError):
        save_upload(_image_bytes("PNG"), field_label="证件照", kinds=set(), max_bytes=IMAGE_MAX)


@pytest.mark.parametrize("path", [
    "../secret.txt",
    "ab/../../etc/passwd",
    "/etc/passwd",
    "ab/" + "a" * 64 + ".jpg/../../../x",
    "..\\..\\windows\\win.ini",
    "",
    "ab/" + "a" * 64 + ".txt",
])
def test_paths_outside_the_store_are_refused(upload_dir, path):
    (upload_dir.parent / "secret.txt").write_text("secret")

    with pytest.raises(StoragePathError) as caught:
        open_stored(path)
    assert caught.value.message == "文件路径无效"
    assert isinstance(caught.value, DomainError) and isinstance(caught.value, ValueError)


def test_symlink_out_of_the_store_is_refused(upload_dir):
    secret = upload_dir.parent / "secret.txt"
    secret.write_text("secret")
    link = upload_dir / "ab" / ("a" * 64 + ".pdf")
    link.parent.mkdir(parents=True)
    link.symlink_to(secret)

    with pytest.raises(StoragePathError):
        open_stored("ab/" + "a" * 64 + ".pdf")


def test_absolute_path_points_inside_the_upload_folder(upload_dir):
    stored = save_upload(_minimal_pdf(), field_label="审核材料", kinds={"pdf"}, max_bytes=SCAN_MAX)

    path = storage.absolute_path(stored.path)
    assert path == os.path.realpath(upload_dir / stored.path) and os.path.isfile(path)
    with pytest.raises(FileNotFoundError):
        open_stored("ab/" + "b" * 64 + ".pdf")


def test_check_upload_writes_nothing_until_stored(upload_dir):
    checked = storage.check_upload(io.BytesIO(_image_bytes("PNG")), field_label="照片", kinds={"png"},
                                   max_bytes=IMAGE_MAX, filename="a.png")
    assert not upload_dir.exists() or not any(upload_dir.rglob("*.*"))
    stored = checked.store()
    assert (upload_dir / stored.path).is_file() and (upload_dir / stored.thumb_path).is_file()
    assert stored.original_filename == "a.png" and stored.kind == "png"
