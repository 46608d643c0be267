"""PDF output: Chinese text that extracts, a TrueType font embedded in the file, and escaped context."""
import io
import re
import threading

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject, IndirectObject

from app.services import pdf

LETTER = {
    "account": "zhangsf",
    "institution": "北京市东城区社区卫生服务中心",
    "name": "张三丰",
    "id_type": "居民身份证",
    "id_number": "11010519491231002X",
    "mobile": "13800138000",
    "date": "2025年11月26日",
}


@pytest.fixture(scope="session", autouse=True)
def pdf_font(app):
    """The converted font, made once per machine (it is cached in the instance folder), not per test."""
    return pdf.ensure_font(app.instance_path)


def _text(data: bytes) -> str:
    """All extracted text with whitespace removed, since line wrapping may split any run."""
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def _objects(data: bytes):
    """Every object in the PDF, so that fonts are found wherever they are referenced from."""
    reader = PdfReader(io.BytesIO(data))
    for num in range(1, int(reader.trailer["/Size"])):
        obj = reader.get_object(IndirectObject(num, 0, reader))
        if obj is not None:
            yield obj


def _fonts(data: bytes):
    return [o for o in _objects(data) if isinstance(o, DictionaryObject) and o.get("/Type") == "/Font"]


def test_certification_letter_has_chinese_text(db):
    data = pdf.render_pdf("certification.html", **LETTER)

    assert data.startswith(b"%PDF-")
    text = _text(data)
    for expected in ("实名认证证明", "张三丰", "11010519491231002X", "人事部门盖章", "系统账号", "所属机构",
                     "证件类别", "证件号码", "手机号码", "北京市东城区社区卫生服务中心", "日期", "2025年11月26日"):
        assert expected in text


def test_every_font_is_embedded_as_truetype(db):
    from reportlab import rl_config
    from reportlab.platypus.tables import CellStyle

    defaults = rl_config.canvas_basefontname, CellStyle.fontname
    data = pdf.render_pdf("certification.html", **LETTER)
    # The render makes our font ReportLab's default only while it runs.
    assert (rl_config.canvas_basefontname, CellStyle.fontname) == defaults

    fonts = _fonts(data)
    assert fonts
    embedded = []
    for font in fonts:
        if font["/Subtype"] == "/Type3":  # drawn by the PDF itself, nothing to embed
            continue
        faces = [f.get_object() for f in font["/DescendantFonts"]] if font["/Subtype"] == "/Type0" else [font]
        for face in faces:
            descriptor = face.get("/FontDescriptor")
            assert descriptor is not None, f"{face['/BaseFont']} is referenced but not embedded"
            descriptor = descriptor.get_object()
            files = [k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor]
            assert files, f"{face['/BaseFont']} is referenced but not embedded"
            embedded.append((face["/BaseFont"], files, descriptor))
    truetype = [(name, d) for name, files, d in embedded if "/FontFile2" in files]
    assert truetype, embedded
    for name, descriptor in truetype:
        assert "NotoSansSC" in name
        assert len(descriptor["/FontFile2"].get_object().get_data()) > 1000


def test_context_is_escaped(db):
    data = pdf.render_pdf("certification.html", **{**LETTER, "name": "<b>x</b>", "institution": "A&B<i>卫生院</i>"})

    text = _text(data)
    assert "<b>x</b>" in text
    assert "A&B<i>卫生院</i>" in text


def test_long_chinese_text_wraps_instead_of_running_off_the_page(db):
    institution = "某某省某某市某某区" * 8 + "社区卫生服务中心"

    text = _text(pdf.render_pdf("certification.html", **{**LETTER, "institution": institution}))

    assert institution in text


def test_font_is_converted_once_and_cached_as_truetype(app, pdf_font):
    assert pdf.ensure_font(app.instance_path) == pdf_font
    assert pdf_font.parent == pdf.font_dir(app.instance_path)
    with open(pdf_font, "rb") as fh:
        assert fh.read(4) == b"\x00\x01\x00\x00"  # TrueType outlines, which ReportLab can embed


def test_warm_up_runs_in_a_thread_without_app_context(app):
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("seconds", pdf.warm_up(app.instance_path)))
    thread.start()
    thread.join(timeout=60)

    assert isinstance(result.get("seconds"), float)
