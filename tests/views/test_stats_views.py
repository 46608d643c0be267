"""常用统计 pages (spec 6.1, issue 16): the table and the chart data agree with the service, each count links to the
staff behind it (人员信息管理 for an institution, the read-only 统计人员名单 for a region), scope refusals are shown
in Chinese, ECharts is served from app/static."""
import json
import re
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.domain.person import ACTIVE_STATUSES
from app.models.org import Institution
from app.models.people import Person
from app.models.security import User
from app.services import seed, stats
from app.services.seed import JIANGXIA2_CODE, JIANGXIA_CODE, WUCHANG_CODE, synthetic_id


@pytest.fixture
def staff(db):
    seed.seed_people(60, JIANGXIA_CODE)
    seed.seed_people(15, JIANGXIA2_CODE)
    seed.seed_people(10, WUCHANG_CODE)
    home = db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))
    db.session.add(Person(institution_id=home.id, name="缺学历", id_type="01", id_number=synthetic_id(9100),
                          status="在岗", education=None))
    db.session.commit()
    return home


def _user(db, name):
    return db.session.scalar(select(User).where(User.username == name))


def _data(html):
    match = re.search(r'<script type="application/json" id="stats-data"[^>]*>(.*?)</script>', html, re.S)
    assert match, "no chart data"
    return json.loads(match.group(1))


def _people_rows(html):
    return re.findall(r'<tr data-person="(\d+)"', html)


def test_echarts_is_served_locally(client):
    resp = client.get("/static/vendor/echarts/echarts.min.js")
    assert resp.status_code == 200 and len(resp.data) > 500_000
    resp.close()


def test_two_dimensions_table_chart_and_links(db, staff, login_as):
    c = login_as("inst_admin")
    html = c.get("/stats/?rows=education&cols=age_band").get_data(as_text=True)
    table = stats.count(_user(db, "inst_admin"), "education", "age_band")
    assert 'id="stats-table"' in html and "学历 \\ 年龄段" in html
    assert f'id="stats-total">{table.total}<' in html
    assert "vendor/echarts/echarts.min.js" in html and "js/stats.js" in html and "cdn" not in html.lower()
    data = _data(html)
    assert [r["label"] for r in data["rows"]] == [label for _, label in table.rows]
    assert [c["label"] for c in data["cols"]] == [label for _, label in table.cols]
    assert [[cell["n"] for cell in row] for row in data["cells"]] == \
        [[table.cell(r, col) for col, _ in table.cols] for r, _ in table.rows]
    assert data["rows"][-1]["label"] == "未填"  # 缺学历
    # every link of the chart opens 人员信息管理 with exactly the people of its cell
    for i, (r, _) in enumerate(table.rows):
        for j, (col, _) in enumerate(table.cols):
            url = data["cells"][i][j]["url"]
            assert url.startswith("/people/list/?")
            if table.cell(r, col) and (i + j) % 3 == 0:
                page = c.get(url + "&size=100").get_data(as_text=True)
                assert len(_people_rows(page)) == table.cell(r, col), url
                assert 'id="stats-drill"' in page and "学历" in page and "年龄段" in page


def test_unfilled_row_drills_to_the_people_without_a_value(db, staff, login_as):
    c = login_as("inst_admin")
    html = c.get("/stats/?rows=education").get_data(as_text=True)
    url = _data(html)["rows"][-1]["url"]
    assert parse_qs(urlsplit(url).query)["stat_education"] == ["~"]
    page = c.get(url).get_data(as_text=True)
    assert "缺学历" in page and "学历</strong>为“未填”" in page and len(_people_rows(page)) == 1
    back = re.search(r'href="([^"]+)" id="stats-drill-back"', page).group(1)
    assert back == "/stats/?rows=education"


def test_one_dimension_pie_and_percentages(db, staff, login_as):
    c = login_as("inst_admin")
    html = c.get("/stats/?rows=sex&chart=pie").get_data(as_text=True)
    data = _data(html)
    assert data["chart"] == "pie" and data["title"] == "按性别统计"
    assert "100.0%" in html and 'data-chart="pie"' in html
    assert sum(r["total"] for r in data["rows"]) == data["total"]


def test_filters_reach_the_drill_down(db, staff, login_as):
    c = login_as("inst_admin")
    html = c.get("/stats/?rows=sex&status=在岗&status=借调&on=2026-01-01").get_data(as_text=True)
    url = _data(html)["rows"][0]["url"]
    args = parse_qs(urlsplit(url).query)
    assert args["stat_status"] == ["在岗", "借调"] and args["stat_on"] == ["2026-01-01"]
    assert "2026-01-01 在岗" in html
    page = c.get(url + "&size=100").get_data(as_text=True)
    user = _user(db, "inst_admin")
    query = stats.parse_drill(MultiDict(parse_qsl(urlsplit(url).query)))
    assert len(_people_rows(page)) == stats.count(user, "sex", filters=query.filters).cell(query.values["sex"])


@pytest.mark.parametrize("query, message", [
    ("rows=shoe", "统计维度“shoe”不存在"), ("rows=sex&cols=sex", "两个统计维度不能相同"),
    ("rows=sex&on=2026-13-01", "统计日期"), ("rows=sex&status=跑路", "在职状态“跑路”不存在"),
    ("rows=sex&region=420115", "不在您的管理范围内"),
])
def test_bad_requests_are_explained(db, staff, login_as, query, message):
    html = login_as("inst_admin").get("/stats/?" + query).get_data(as_text=True)
    assert 'id="stats-errors"' in html and message in html and 'id="stats-table"' not in html


def test_region_user_picks_within_scope_and_drills_read_only(db, staff, login_as):
    c = login_as("region_admin")
    html = c.get("/stats/?rows=staff_group").get_data(as_text=True)
    assert 'id="region"' in html and 'id="institution"' in html
    assert "武汉市武昌区示例社区卫生服务中心" not in html  # not in the 江夏 picker
    data = _data(html)
    assert data["total"] == stats.count(_user(db, "region_admin"), "staff_group").total
    url = data["rows"][0]["url"]
    assert url.startswith("/stats/staff/?")
    page = c.get(url).get_data(as_text=True)
    assert 'id="stats-staff-list"' in page and "从事专业类别分组" in page
    assert f'id="stats-staff-total">{data["rows"][0]["total"]}<' in page
    assert "武昌" not in page
    refused = c.get("/stats/?rows=sex&region=420106").get_data(as_text=True)
    assert "所选地区或机构不在您的管理范围内" in refused


def test_region_user_cannot_list_staff_outside_its_scope(db, staff, login_as):
    wuchang = db.session.scalar(select(Institution).where(Institution.code == WUCHANG_CODE))
    c = login_as("region_admin")
    for query in (f"stat_sex=1&stat_institution={wuchang.id}", "stat_sex=1&stat_region=420106"):
        page = c.get("/stats/staff/?" + query).get_data(as_text=True)
        assert "不在您的管理范围内" in page and not _people_rows(page)


def test_institution_drill_cannot_reach_another_institution(db, staff, login_as):
    wuchang = db.session.scalar(select(Institution).where(Institution.code == WUCHANG_CODE))
    page = login_as("inst_admin").get(f"/people/list/?stat_sex=1&stat_institution={wuchang.id}")\
        .get_data(as_text=True)
    assert 'id="stats-drill-error"' in page and not _people_rows(page)


def test_page_links_to_completeness(staff, login_as):
    html = login_as("inst_admin").get("/stats/").get_data(as_text=True)
    assert 'href="/stats/completeness/"' in html and "资料完整度" in html


def test_system_admin_counts_every_institution(db, staff, login_as):
    html = login_as("sysadmin01").get("/stats/?rows=sex").get_data(as_text=True)
    everyone = db.session.scalar(select(func.count(Person.id)).where(Person.status.in_(ACTIVE_STATUSES)))
    assert _data(html)["total"] == everyone and 'id="region"' in html


def test_drill_down_pages_keep_the_cell(db, staff, login_as):
    c = login_as("inst_admin")
    data = _data(c.get("/stats/?rows=establishment&status=在岗&status=借调").get_data(as_text=True))
    row = max(data["rows"], key=lambda r: r["total"])
    assert row["total"] > 20
    first = c.get(row["url"]).get_data(as_text=True)
    next_link = re.search(r'<a href="([^"]+)">下一页</a>', first).group(1).replace("&amp;", "&")
    args = parse_qs(urlsplit(next_link).query)
    assert args["page"] == ["2"] and args["stat_status"] == ["在岗", "借调"] and "stat_establishment" in args
    second = c.get(next_link).get_data(as_text=True)
    assert len(_people_rows(first)) + len(_people_rows(second)) == min(row["total"], 40)
    assert not set(_people_rows(first)) & set(_people_rows(second))


def test_a_refused_institution_lends_no_department_names_to_the_pickers(db, staff, login_as):
    """A regional user naming an institution outside its scope is refused, and the 科室 picker does not list that
    institution's departments."""
    from app.models.org import Department

    wuchang = db.session.scalar(select(Institution).where(Institution.code == WUCHANG_CODE))
    names = set(db.session.scalars(select(Department.name).where(Department.institution_id == wuchang.id)))
    names -= set(db.session.scalars(select(Department.name).where(Department.institution_id != wuchang.id)))
    db.session.add(Department(institution_id=wuchang.id, name="武昌独有测试科"))
    db.session.commit()
    page = login_as("region_admin").get(f"/stats/?rows=sex&institution={wuchang.id}").get_data(as_text=True)
    assert "所选地区或机构不在您的管理范围内" in page
    assert "武昌独有测试科" not in page and not any(n in page for n in names)
