"""PDF documents from Jinja templates (app/templates/pdf/), with Chinese text in an embedded font.

The font is Noto Sans SC from the PyPI package pylopdf-fonts-zh-cn (SIL OFL 1.1), so a server needs no
Chinese font from the operating system and a reader needs none either: the glyphs used are embedded as a
TrueType subset. The package ships it as OpenType with PostScript (CFF) outlines, which ReportLab cannot
embed, so `ensure_font()` converts it to TrueType once (half a minute) and keeps the result under
`<instance_path>/fonts/`; the setup command should call it so that no request ever waits for it.
"""
import contextlib
import io
import logging
import os
import tempfile
import threading
import time
from pathlib import Path

from flask import current_app, render_template

log = logging.getLogger(__name__)

#: The CSS family templates name. xhtml2pdf registers the regular face of a @font-face family as
#: "<family in lower case>_00" (xhtml2pdf.context.loadFont); registering it under that name first makes
#: xhtml2pdf reuse our parsed font instead of parsing the 10 MB file a second time.
FONT_FAMILY = "NotoSansSC"
_REPORTLAB_NAME = f"{FONT_FAMILY.lower()}_00"

#: One conversion at a time in this process: the warm-up thread and a request may both ask for the font.
_font_lock = threading.Lock()
#: Our renders change a ReportLab setting for their duration; they must not interleave.
_render_lock = threading.Lock()
_registered_path = None


class PdfRenderError(RuntimeError):
    """xhtml2pdf reported errors while converting a document."""


def _source_font():
    """Path and version of the OpenType Noto Sans SC shipped by pylopdf-fonts-zh-cn."""
    import pylopdf_fonts_zh_cn

    return pylopdf_fonts_zh_cn.sans_path(), pylopdf_fonts_zh_cn.__version__


def font_dir(instance_path=None) -> Path:
    """Directory that holds the converted font: <instance_path>/fonts."""
    return Path(instance_path or current_app.instance_path) / "fonts"


def font_path(instance_path=None) -> Path:
    """Where the converted TrueType font is (or will be) cached."""
    _, version = _source_font()
    # The package version is in the name so that an upgraded font package is converted again.
    return font_dir(instance_path) / f"NotoSansSC-Regular-{version}.ttf"


def ensure_font(instance_path=None) -> Path:
    """Convert the packaged OpenType font to TrueType once and cache it; return the cached file."""
    target = font_path(instance_path)
    if target.exists():
        return target
    with _font_lock:
        if target.exists():
            return target
        from xhtml2pdf.opentype import to_truetype

        source, _ = _source_font()
        started = time.perf_counter()
        log.info("Converting %s to TrueType for PDF output (once, takes about half a minute)", source.name)
        data = to_truetype(source.read_bytes())
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target and renamed, so another process never reads a half-written font.
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            # mkstemp creates 0600; the web server may run as another user than the setup command.
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        log.info("PDF font cached at %s in %.1f s", target, time.perf_counter() - started)
        return target


def _register_font(path: Path) -> None:
    """Register the TrueType font with ReportLab once per process (parsing a CJK font takes ~0.1 s)."""
    global _registered_path
    if _registered_path == path:
        return
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    with _font_lock:
        if _registered_path != path:
            if _REPORTLAB_NAME not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(_REPORTLAB_NAME, str(path)))
            _registered_path = path


def _font_css(path: Path) -> str:
    """Stylesheet added to xhtml2pdf's defaults: the embedded font and CJK line breaking for every document."""
    url = str(path).replace("\\", "\\\\").replace('"', '\\"')
    return (
        f'@font-face {{ font-family: {FONT_FAMILY}; src: url("{url}"); }}\n'
        f"html, body {{ font-family: {FONT_FAMILY}; -pdf-word-wrap: CJK; }}\n"
    )


@contextlib.contextmanager
def _reportlab_default_font(name: str):
    """Make ReportLab's own default font ours instead of Helvetica, for the duration of a render."""
    from reportlab import rl_config
    from reportlab.platypus.tables import CellStyle

    # ReportLab selects its default font where nothing asked for one: every new canvas starts in
    # rl_config.canvas_basefontname, and every table cell is drawn after a setFont(CellStyle.fontname).
    # Both are Helvetica, which then sits unembedded in the page resources although it draws no glyph.
    # Selecting a TrueType font writes nothing until text is drawn, so with ours as the default the PDF
    # references no font it does not embed. xhtml2pdf offers no way to pass either setting, hence the
    # scoped change; another render that overlaps it merely starts in our (registered) font too.
    saved = rl_config.canvas_basefontname, CellStyle.fontname
    rl_config.canvas_basefontname = CellStyle.fontname = name
    try:
        yield
    finally:
        rl_config.canvas_basefontname, CellStyle.fontname = saved


def html_to_pdf(html: str, instance_path=None) -> bytes:
    """Convert an HTML string to PDF bytes with the embedded Chinese font."""
    from xhtml2pdf import pisa
    from xhtml2pdf.config.resources import ResourceAccessPolicy
    from xhtml2pdf.default import DEFAULT_CSS

    path = ensure_font(instance_path)
    _register_font(path)
    # Our templates need nothing but the font: no other local file and no network fetch.
    policy = ResourceAccessPolicy(base_dir=None, extra_roots=(path.parent,), allow_remote=False)
    out = io.BytesIO()
    with _render_lock, _reportlab_default_font(_REPORTLAB_NAME):
        status = pisa.CreatePDF(
            html, dest=out, encoding="utf-8", default_css=DEFAULT_CSS + _font_css(path), resource_policy=policy
        )
    if status.err:
        raise PdfRenderError(f"xhtml2pdf reported {status.err} error(s)")
    return out.getvalue()


def render_pdf(template_name: str, **context) -> bytes:
    """Render app/templates/pdf/<template_name> with `context` and return the PDF bytes."""
    html = render_template(f"pdf/{template_name}", **context)
    return html_to_pdf(html)


def warm_up(instance_path=None) -> float:
    """Convert/register the font and render one tiny PDF so the first real render is fast; return seconds."""
    # instance_path lets a start-up thread without an app context call this: warm_up(app.instance_path).
    started = time.perf_counter()
    html_to_pdf('<html><head><meta charset="utf-8"></head><body><p>预热 warm-up</p></body></html>', instance_path)
    elapsed = time.perf_counter() - started
    log.info("PDF renderer warmed up in %.2f s", elapsed)
    return elapsed
