"""常用报表 in a real browser: inst_admin opens 统计分析 → 常用报表 by the menu, opens 人员基本情况统计表 (two header
levels), exports it and the workbook holds the page's numbers; the workbook is drawn from openpyxl as HTML (merged
cells, frozen panes, bold header) and screenshotted, as is the page and its print layout.
Screenshots into /work/wt/shots16/c/."""
import html
import io
import os

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from app.services import seed
from tests.e2e.helpers import open_menu, session, shooter

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SHOTS = os.environ.get("SHOTS_DIR") or ("/work/wt/shots16/c" if os.path.isdir("/work/wt") else None)


def sheet_html(sheet) -> str:
    """The sheet as a spreadsheet program shows it: column letters and row numbers, merged cells spanning, bold and
    filled cells, borders, numbers right-aligned, and the frozen panes' edges drawn as blue lines."""
    spans, hidden = {}, set()
    for r in sheet.merged_cells.ranges:
        spans[(r.min_row, r.min_col)] = (r.max_row - r.min_row + 1, r.max_col - r.min_col + 1)
        hidden |= {(y, x) for y in range(r.min_row, r.max_row + 1) for x in range(r.min_col, r.max_col + 1)}
        hidden.discard((r.min_row, r.min_col))
    frozen = sheet[sheet.freeze_panes] if sheet.freeze_panes else None
    out = ['<html><head><meta charset="utf-8"><style>',
           'body{font-family:"WenQuanYi Zen Hei","Noto Sans CJK SC",sans-serif;margin:8px;font-size:12px}',
           'table{border-collapse:collapse} td,th{padding:2px 4px;white-space:nowrap}',
           'th.h{background:#f0f0f0;color:#666;font-weight:normal;border:1px solid #ccc;text-align:center}',
           'td{border:1px solid #e4e4e4}</style></head><body>',
           f'<div style="margin-bottom:4px;color:#444">{html.escape(sheet.title)} · 冻结窗格 {sheet.freeze_panes} · '
           f'合并单元格 {len(sheet.merged_cells.ranges)} 处</div><table><tr><th class="h"></th>']
    for c in range(1, sheet.max_column + 1):
        width = int((sheet.column_dimensions[get_column_letter(c)].width or 9) * 7)
        out.append(f'<th class="h" style="min-width:{width}px">{get_column_letter(c)}</th>')
    out.append("</tr>")
    for y in range(1, sheet.max_row + 1):
        out.append(f'<tr><th class="h">{y}</th>')
        for x in range(1, sheet.max_column + 1):
            if (y, x) in hidden:
                continue
            cell = sheet.cell(y, x)
            rows, cols = spans.get((y, x), (1, 1))
            style = []
            if cell.font and cell.font.bold:
                style.append("font-weight:bold")
            if cell.font and cell.font.sz and cell.font.sz > 12:
                style.append(f"font-size:{int(cell.font.sz)}px")
            if cell.fill and cell.fill.fgColor and cell.fill.fill_type == "solid":
                style.append(f"background:#{cell.fill.fgColor.rgb[-6:]}")
            if cell.border and cell.border.left and cell.border.left.style:
                style.append("border:1px solid #000")
            align = cell.alignment.horizontal if cell.alignment else None
            if align or isinstance(cell.value, int):
                style.append(f"text-align:{align or 'right'}")
            if frozen is not None and y == frozen.row:
                style.append("border-top:2px solid #1f6fd1")
            if frozen is not None and x == frozen.column:
                style.append("border-left:2px solid #1f6fd1")
            value = "" if cell.value is None else html.escape(str(cell.value))
            out.append(f'<td rowspan="{rows}" colspan="{cols}" style="{";".join(style)}">{value}</td>')
        out.append("</tr>")
    out.append("</table></body></html>")
    return "".join(out)


def test_inst_admin_opens_and_exports_the_basic_report(app, db, live_server, browser, tmp_path):
    seed.seed_people(300)
    shot = shooter(tmp_path, SHOTS)
    page = session(browser, live_server, "inst_admin")
    open_menu(page, "统计分析", "常用报表", "**/stats/reports/")
    page.locator("#report-list").wait_for()
    assert page.locator('#report-list a[data-report="hr-basic"]').count() == 1
    page.locator('#report-list a[data-report="basic"]').click()
    page.wait_for_url("**/stats/reports/basic/")
    table = page.locator(".stat-report-table").first
    table.wait_for()
    assert page.locator(".stat-report-title").first.inner_text() == "人员基本情况统计表"
    heads = table.locator("thead tr")
    assert heads.count() == 2
    assert heads.nth(0).locator("th").nth(2).get_attribute("colspan") == "2"  # 性别: 男, 女
    totals = [c.inner_text().strip() for c in table.locator("tfoot th, tfoot td").all()]
    assert totals[:2] == ["合计", "300"]
    shot(page, "basic-report-page.png")
    page.emulate_media(media="print")
    shot(page, "basic-report-print.png")
    assert not page.locator("#report-filter").is_visible() and not page.locator(".navbar").first.is_visible()
    page.emulate_media(media="screen")

    with page.expect_download() as info:
        page.locator("#report-export").click()
    download = info.value
    assert download.suggested_filename.startswith("人员基本情况统计表_") and download.suggested_filename.endswith(".xlsx")
    path = tmp_path / "basic.xlsx"
    download.save_as(path)
    sheet = load_workbook(io.BytesIO(path.read_bytes())).active
    assert sheet.freeze_panes == "B5" and "A3:A4" in {str(r) for r in sheet.merged_cells.ranges}
    body = [[c.inner_text().strip() for c in row.locator("th, td").all()] for row in table.locator("tbody tr").all()]
    cells = [[c.value for c in row] for row in sheet.iter_rows(min_row=5, max_row=4 + len(body))]
    assert [[str(v).strip("　") for v in row] for row in cells] == [[v.strip("　") for v in row] for row in body]
    assert all(isinstance(v, int) for row in cells for v in row[1:])
    last = [c.value for c in sheet[5 + len(body)]]
    assert last[:2] == ["合计", 300]

    view = browser.new_page(viewport={"width": 1366, "height": 768})
    view.set_content(sheet_html(sheet))
    shot(view, "basic-report-workbook.png")

    page.locator(".breadcrumb a", has_text="常用报表").click()
    page.wait_for_url("**/stats/reports/")
    page.locator('#report-list a[data-report="departments"]').click()
    page.wait_for_url("**/stats/reports/departments/")
    page.locator(".stat-report-table tfoot").wait_for()
    assert [c.inner_text().strip() for c in page.locator(".stat-report-table tfoot th, .stat-report-table tfoot td")
            .all()][:2] == ["合计", "300"]
    shot(page, "departments-report-page.png")


def test_inst_admin_reaches_the_national_export_and_the_certificate_reminder_by_clicking(app, db, live_server,
                                                                                        browser, tmp_path):
    """常用报表 → 卫生人力基本信息导出 (37 columns in the workbook) and → 证书到期提醒, each line linking to the person."""
    seed.seed_people(30)
    shot = shooter(tmp_path, SHOTS)
    page = session(browser, live_server, "inst_admin")
    open_menu(page, "统计分析", "常用报表", "**/stats/reports/")
    page.locator('#report-list a[data-report="hr-basic"]').click()
    page.wait_for_url("**/stats/hr/basic/**")
    page.locator("#hr-basic-count").wait_for()
    assert "共" in page.locator("#hr-basic-count").inner_text()
    assert page.locator("#hr-basic-preview thead th").count() >= 37
    shot(page, "hr-basic-page.png")
    with page.expect_download() as info:
        page.locator("#hr-basic-export").click()
    path = tmp_path / "hr.xlsx"
    info.value.save_as(path)
    sheet = load_workbook(io.BytesIO(path.read_bytes())).active
    assert sheet.max_column == 37 and sheet.cell(1, 1).value == "姓名" and sheet.max_row >= 31

    page.go_back()
    page.wait_for_url("**/stats/reports/")
    page.locator('#report-list a[data-report="hr-expiring"]').click()
    page.wait_for_url("**/stats/hr/expiring**")
    page.locator("#expiring-filters").wait_for()
    shot(page, "hr-expiring-page.png")
    person = page.locator("#missing-list a, #expiring-list a").first
    person.wait_for()
    person.click()
    page.wait_for_url("**/people/**")
    assert page.locator("h1, h2, h3").first.inner_text().strip() != ""
