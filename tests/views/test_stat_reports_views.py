"""常用报表 over HTTP: the index (with 卫生人力基本信息 and 证书到期提醒), each report's page and its workbook holding the
same numbers (merged header cells, frozen panes, ints), the regional institution picker and its scope, the rights."""
import datetime
import io
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.models.org import Institution
from app.services import seed
from app.services.seed import JIANGXIA2_CODE, JIANGXIA_CODE, WUCHANG_CODE

TODAY = datetime.date.today()
KEYS = ("basic", "departments", "quota", "flow")


class _Tables(HTMLParser):
    """The report tables of a page: per table, its header rows and body/foot rows as lists of cell texts, and the
    colspan/rowspan of each header cell."""

    def __init__(self):
        super().__init__()
        self.tables, self._cell, self._section = [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "stat-report-table" in (a.get("class") or ""):
            self.tables.append({"head": [], "body": [], "spans": []})
        elif not self.tables:
            return
        elif tag in ("thead", "tbody", "tfoot"):
            self._section = "head" if tag == "thead" else "body"
        elif tag == "tr" and self._section:
            self.tables[-1][self._section].append([])
        elif tag in ("th", "td") and self._section:
            self._cell = []
            if self._section == "head":
                self.tables[-1]["spans"].append((int(a.get("colspan", 1)), int(a.get("rowspan", 1))))

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self.tables[-1][self._section][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._section = None


def _tables(html):
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def _inst(db, code):
    return db.session.scalar(select(Institution).where(Institution.code == code))


@pytest.fixture
def staff(db):
    seed.seed_people(60)
    seed.seed_people(20, JIANGXIA2_CODE)
    return _inst(db, JIANGXIA_CODE)


def _number(text):
    """A page cell as the workbook holds it: a number, a text, or nothing."""
    return int(text) if text.lstrip("-").isdigit() else (text or None)


def test_index_lists_the_reports_and_the_hr_pages(db, login_as):
    html = login_as("inst_admin").get("/stats/reports/").get_data(as_text=True)
    for title in ("人员基本情况统计表", "科室人员分布表", "编制使用情况表", "人员流动情况表", "卫生人力基本信息导出", "证书到期提醒"):
        assert title in html
    for key in KEYS:
        assert f'href="/stats/reports/{key}/"' in html
    assert 'href="/stats/hr/basic"' in html and 'href="/stats/hr/expiring"' in html


@pytest.mark.parametrize("key", KEYS)
def test_page_and_workbook_hold_the_same_numbers(db, login_as, staff, key):
    client = login_as("inst_admin")
    page = client.get(f"/stats/reports/{key}/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "导出 Excel" in html and "填报单位" in html and staff.name in html
    tables = _tables(html)
    assert tables
    resp = client.get(f"/stats/reports/{key}/export")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(resp.data))
    assert len(book.worksheets) == len(tables)
    for sheet, table in zip(book.worksheets, tables, strict=True):
        depth = len(table["head"])
        first = 3 + depth
        body = [[_number(c) for c in row] for row in table["body"]]
        cells = [[c.value for c in row] for row in sheet.iter_rows(min_row=first, max_row=first + len(body) - 1)]
        assert [[str(v).strip("　") if isinstance(v, str) else v for v in row] for row in cells] == \
            [[v.strip("　") if isinstance(v, str) else v for v in row] for row in body]
        assert all(isinstance(v, int) for row in cells for v in row[1:] if v not in ("", None, "未分类"))
        assert sheet.freeze_panes == f"B{first}"
        assert sheet["A1"].value == html.split('class="stat-report-title"', 1)[1].split(">", 1)[1].split("<")[0] \
            or sheet["A1"].value in html
        assert sheet["A2"].value == f"填报单位：{staff.name}"
        assert any(str(c.value or "").startswith("制表人：") for c in sheet["A"])
        if depth == 2:  # two header levels: group cells merged across, plain columns merged down
            merged = {str(r) for r in sheet.merged_cells.ranges}
            assert "A3:A4" in merged
            assert any(r.min_row == 3 and r.max_row == 3 and r.max_col > r.min_col for r in sheet.merged_cells.ranges)
            assert any(span[0] > 1 for span in table["spans"]) and table["spans"][0] == (1, 2)


def test_basic_report_page_has_two_header_levels(db, login_as, staff):
    table = _tables(login_as("inst_admin").get("/stats/reports/basic/").get_data(as_text=True))[0]
    assert table["head"][0][:4] == ["从事专业类别", "人数", "性别", "年龄段"]
    assert table["head"][1][:2] == ["男", "女"]
    totals = table["body"][-1]
    assert totals[0] == "合计" and int(totals[1]) == 60


def test_region_picks_an_institution_of_its_county_only(db, login_as, staff):
    client = login_as("region_admin")
    html = client.get("/stats/reports/departments/").get_data(as_text=True)
    street, wuchang = _inst(db, JIANGXIA2_CODE), _inst(db, WUCHANG_CODE)
    assert f'<option value="{staff.id}"' in html and f'<option value="{street.id}"' in html
    assert f'value="{wuchang.id}"' not in html
    rows = {r[0]: r[1:] for r in _tables(html)[0]["body"]}
    assert int(rows[staff.name][0]) == 60 and int(rows[street.name][0]) == 20 and wuchang.name not in rows
    one = client.get(f"/stats/reports/departments/?institution={street.id}").get_data(as_text=True)
    assert _tables(one)[0]["body"][-1][:2] == ["合计", "20"]
    refused = client.get(f"/stats/reports/departments/?institution={wuchang.id}")
    assert refused.status_code == 200 and "只能查看本机构或本辖区机构的报表" in refused.get_data(as_text=True)
    assert not _tables(refused.get_data(as_text=True))
    assert client.get(f"/stats/reports/departments/export?institution={wuchang.id}").status_code == 404


def test_institution_account_cannot_name_another_institution(db, login_as, staff):
    client = login_as("inst_admin")
    other = _inst(db, JIANGXIA2_CODE)
    html = client.get(f"/stats/reports/basic/?institution={other.id}").get_data(as_text=True)
    assert "只能查看本机构或本辖区机构的报表" in html and other.name not in html.split("form-errors", 1)[-1]
    assert client.get(f"/stats/reports/quota/export?institution={other.id}").status_code == 404
    assert 'id="institution"' not in client.get("/stats/reports/basic/").get_data(as_text=True)


def test_wrong_dates_are_named_and_the_defaults_used(db, login_as, staff):
    client = login_as("inst_admin")
    html = client.get("/stats/reports/flow/?start=2026-13-01&end=abc").get_data(as_text=True)
    assert "开始日期" in html and "结束日期" in html and "form-errors" in html
    assert f"{TODAY.year}-01-01 至 {TODAY.isoformat()}" in html
    later = (TODAY + datetime.timedelta(days=3)).isoformat()
    html = client.get(f"/stats/reports/basic/?on={later}").get_data(as_text=True)
    assert "统计时点不能晚于今天" in html


def test_unknown_report_is_404(db, login_as):
    assert login_as("inst_admin").get("/stats/reports/nothing/").status_code == 404


def test_without_the_right_the_reports_are_closed(db, login_as):
    client = login_as("inst_staff")  # the demo 人事科 role has no 常用报表 right
    for url in ("/stats/reports/", "/stats/reports/basic/", "/stats/reports/basic/export"):
        assert client.get(url).status_code in (302, 403), url
