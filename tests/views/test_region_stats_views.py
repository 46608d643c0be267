"""统计概览 and 资料完整度 through the pages: the figures shown are the services' (equal to direct queries, see the
service tests), the drill-down links stay in scope, a foreign region or institution is refused with a Chinese message,
the menu entry is the region's, an institution account has no 统计概览."""
import datetime
import json
import re

from app.services.seed import JIANGXIA2_CODE, JIANGXIA_CODE, WUCHANG_CODE
from tests import factories
from tests.services.test_completeness import _inst, staff_with_gaps
from tests.services.test_region_stats import fixture_data  # noqa: F401 — the fixture

INDEX = "/region/stats/"
COMPLETENESS = "/stats/completeness/"


def _chart_data(body):
    match = re.search(r'<script type="application/json" id="region-stats-data"[^>]*>(.*?)</script>', body, re.S)
    assert match, "no chart data"
    return json.loads(match.group(1))


def test_county_admin_sees_its_institutions_compared(db, login_as, fixture_data):  # noqa: F811
    jiangxia, jiangxia2, wuchang = fixture_data
    client = login_as("region_admin")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/region/stats/"' in home and "统计概览" in home
    resp = client.get(INDEX)
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert "江夏区" in body and "武汉市江夏区示例镇卫生院" in body and "武汉市江夏区示例街道社区卫生服务中心" in body
    assert "武昌" not in body
    row = body.split(f'data-unit="i{jiangxia.id}"')[1].split("</tr>")[0]
    assert f'href="/region/stats/?institution_id={jiangxia.id}"' in row
    assert 'data-col="staff">39<' in row and 'data-col="expiring">3<' in row
    total = body.split('id="comparison-total"')[1].split("</tr>")[0]
    assert "<th class=\"text-right\">51</th>" in total
    data = _chart_data(body)
    assert sorted(data["comparison"]["staff"]) == [12, 39]
    assert len(data["months"]["labels"]) == 24 and data["months"]["in_post"][-1] == 51
    assert sum(data["composition"]["values"]) == 51  # 从事专业类别分组 by default
    assert 'id="composition-total">51<' in body
    # each composition figure opens the staff behind it (常用统计's drill-down list), in the county
    assert all("/stats/staff/?" in url and "stat_region=420115" in url and "stat_staff_group=" in url
               for url in data["composition"]["links"])
    assert 'href="/stats/staff/?' in body.split('id="composition-table"')[1]
    assert "vendor/echarts/echarts.min.js" in body and "js/region_stats.js" in body


def test_drill_down_to_an_institution_and_pick_a_dimension(db, login_as, fixture_data):  # noqa: F811
    jiangxia, jiangxia2, wuchang = fixture_data
    client = login_as("region_admin")
    body = client.get(f"{INDEX}?institution_id={jiangxia.id}&dim=sex").get_data(as_text=True)
    assert '<li class="active">武汉市江夏区示例镇卫生院</li>' in body and 'href="/region/stats/?region_code=420115"' in body
    assert 'id="comparison-table"' not in body and 'data-figure="staff">39<' in body
    assert f'href="/stats/completeness/?institution_id={jiangxia.id}"' in body
    assert f'id="institution-staff" href="/stats/staff/?stat_institution={jiangxia.id}"' in body
    staff = client.get(f"/stats/staff/?stat_institution={jiangxia.id}&stat_sex=1")
    assert staff.status_code == 200
    data = _chart_data(body)
    assert data["composition"]["title"] == "性别" and sum(data["composition"]["values"]) == 39
    assert data["comparison"] is None
    assert f'name="institution_id" value="{jiangxia.id}"' in body


def test_foreign_places_are_refused(db, login_as, fixture_data):  # noqa: F811
    jiangxia, jiangxia2, wuchang = fixture_data
    client = login_as("region_admin")
    for url in (f"{INDEX}?region_code=420106", f"{INDEX}?region_code=420100", f"{INDEX}?institution_id={wuchang.id}",
                f"{INDEX}?institution_id=abc", f"{COMPLETENESS}?institution_id={wuchang.id}",
                f"{COMPLETENESS}?region_code=420106"):
        resp = client.get(url)
        assert resp.status_code == 403, url
        assert "不在您的管理范围内" in resp.get_data(as_text=True), url
    assert login_as("inst_admin").get(INDEX).status_code in (302, 403)  # no 统计概览 for an institution


def test_city_admin_drills_from_the_city_to_the_county(db, login_as, fixture_data):  # noqa: F811
    user = factories.account("wuhan_admin", role="区域管理员", region=factories.region("420100"))
    user.certified_at = datetime.datetime.now()
    db.session.commit()
    client = login_as("wuhan_admin", "Good@Pw-2468")
    body = client.get(INDEX).get_data(as_text=True)
    assert 'href="/region/stats/?region_code=420115"' in body and 'href="/region/stats/?region_code=420106"' in body
    county = client.get(f"{INDEX}?region_code=420115").get_data(as_text=True)
    assert 'href="/region/stats/?region_code=420100"' in county  # the trail back up
    assert "武汉市江夏区示例镇卫生院" in county and "武汉市武昌区示例社区卫生服务中心" not in county


def test_completeness_page_of_an_institution(db, login_as):
    inst = staff_with_gaps(db)
    client = login_as("inst_admin")
    body = client.get(COMPLETENESS).get_data(as_text=True)
    total = body.split('id="completeness-total"')[1].split("</tr>")[0]
    assert '<td class="text-right">39</td>' in total
    assert f">{round(100 * 36 / 39, 1)}</a>" in total.split('data-field="ethnicity"')[1].split("</td>")[0]
    assert 'data-figure="missing"><a href="#missing">8</a>' in body
    assert body.count('<tr data-person="') == 8 and "/people/show/" in body
    only = client.get(f"{COMPLETENESS}?field=phone").get_data(as_text=True)
    assert only.count('<tr data-person="') == 2 and "信息项：手机号码" in only
    assert client.get(f"{COMPLETENESS}?field=nope").status_code == 403
    # another institution's id: refused for an institution account
    other = _inst(db, WUCHANG_CODE)
    assert client.get(f"{COMPLETENESS}?institution_id={other.id}").status_code == 403
    assert inst.code == JIANGXIA_CODE


def test_region_picks_an_institution_for_completeness(db, login_as):
    inst = staff_with_gaps(db)
    client = login_as("region_admin")
    picker = client.get(COMPLETENESS).get_data(as_text=True)
    assert 'id="picker-table"' in picker and f'href="/stats/completeness/?institution_id={inst.id}"' in picker
    assert "武昌" not in picker
    body = client.get(f"{COMPLETENESS}?institution_id={inst.id}").get_data(as_text=True)
    assert 'id="completeness-table"' in body and body.count('<tr data-person="') == 8
    assert f"institution_id={inst.id}&amp;field=phone" in body or f"field=phone&amp;institution_id={inst.id}" in body
    assert _inst(db, JIANGXIA2_CODE).name in picker
