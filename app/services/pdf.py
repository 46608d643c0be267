"""PDF documents from Jinja templates (app/templates/pdf/), with Chinese text in an embedded font.

The font is Noto Sans SC from the PyPI package pylopdf-fonts-zh-cn (SIL OFL 1.1), so a server needs no
Chinese font from the operating system and a reader needs none either: the glyphs used are embedded as a
TrueType subset. The package ships it as OpenType with PostScript (CFF) outlines, which ReportLab cannot
embed, so it is converted to TrueType once (half a minute, more on a busy machine) and the result is kept under
`<instance_path>/fonts/`. `flask setup` converts it before it returns (`ensure_font()`); `python run.py` and every
web process with PDF_WARM_UP start `prepare_font()` instead, which converts in a child process (off the GIL, at a
lower priority) while the server already answers. A PDF request that comes before the font is ready waits for it
up to PDF_FONT_WAIT_SECONDS and otherwise raises FontNotReady (the page says 正在准备字体，请稍候 and retries):
never a PDF with blank text.
"""
import contextlib
import io
import logging
import os
import subprocess
import sys
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
#: The thread that prepares the font in this process (prepare_font), and the lock that starts it once.
_preparing = None
_preparing_lock = threading.Lock()
#: Seconds a PDF request waits for a font still being prepared, unless PDF_FONT_WAIT_SECONDS says otherwise.
FONT_WAIT_SECONDS = 10
#: The project root, from which a child process imports this module.
_ROOT = Path(__file__).resolve().parents[2]


class PdfRenderError(RuntimeError):
    """xhtml2pdf reported errors while converting a document."""


class FontNotReady(RuntimeError):
    """The Chinese font is still being converted; the request should be answered 请稍候 and tried again."""


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
    preparing = _preparing
    if preparing is not None and preparing is not threading.current_thread():
        preparing.join()  # `flask setup` while a background conversion runs: one conversion, not two
    if target.exists():
        return target
    with _font_lock:
        if not target.exists():
            convert_font(target)
        return target


def convert_font(target) -> None:
    """Convert the packaged font to TrueType at `target` (written beside it and renamed: never half a file)."""
    from xhtml2pdf.opentype import to_truetype

    target = Path(target)
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


#: Run by the child process: a lower priority, so the conversion never slows the pages the server answers.
_CHILD = ("import os, sys\n"
          "if hasattr(os, 'nice'):\n    os.nice(10)\n"
          "from app.services.pdf import convert_font\n"
          "convert_font(sys.argv[1])\n")


def _convert_in_child(target: Path) -> None:
    """Convert in another Python process: the conversion is pure Python, and in a thread it would hold the GIL
    that the server's threads need (the first start would be twice as slow)."""
    subprocess.run([sys.executable, "-c", _CHILD, str(target)], cwd=_ROOT, check=True)


def _prepare(instance_path: Path) -> None:
    try:
        target = font_path(instance_path)
        if not target.exists():
            _convert_in_child(target)
        warm_up(instance_path)
    except Exception:  # the next PDF request starts another attempt
        log.exception("Preparing the PDF font failed")


def prepare_font(instance_path) -> threading.Thread:
    """Convert the font if needed and warm the renderer up, in a background thread started once per process (a
    new one only when the last has ended, e.g. after a failure). Returns the thread; it is named pdf-warm-up so
    that `imports worker` waits for it before forking."""
    global _preparing
    with _preparing_lock:
        if _preparing is None or not _preparing.is_alive():
            _preparing = threading.Thread(target=_prepare, args=(Path(instance_path),), name="pdf-warm-up",
                                          daemon=True)
            _preparing.start()
        return _preparing


def _ready_font(instance_path=None, wait=None) -> Path:
    """The converted font; when it is not there yet, start or join its preparation for up to `wait` seconds."""
    target = font_path(instance_path)
    if not target.exists():
        thread = prepare_font(instance_path or current_app.instance_path)
        if thread is not threading.current_thread():
            thread.join(FONT_WAIT_SECONDS if wait is None else wait)
        if not target.exists():
            raise FontNotReady("正在准备字体，请稍候")
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


def html_to_pdf(html: str, instance_path=None, wait=None) -> bytes:
    """Convert an HTML string to PDF bytes with the embedded Chinese font.

    Raises FontNotReady when the font is still being prepared after `wait` seconds (FONT_WAIT_SECONDS)."""
    from xhtml2pdf import pisa
    from xhtml2pdf.config.resources import ResourceAccessPolicy
    from xhtml2pdf.default import DEFAULT_CSS

    path = _ready_font(instance_path, wait)
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
    return html_to_pdf(html, wait=current_app.config.get("PDF_FONT_WAIT_SECONDS", FONT_WAIT_SECONDS))


def warm_up(instance_path=None) -> float:
    """Convert/register the font and render one tiny PDF so the first real render is fast; return seconds."""
    # instance_path lets a start-up thread without an app context call this: warm_up(app.instance_path).
    started = time.perf_counter()
    ensure_font(instance_path)
    html_to_pdf('<html><head><meta charset="utf-8"></head><body><p>预热 warm-up</p></body></html>', instance_path)
    elapsed = time.perf_counter() - started
    log.info("PDF renderer warmed up in %.2f s", elapsed)
    return elapsed
