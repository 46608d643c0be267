"""统计概览 in a real browser: region_admin opens 区域管理 → 统计概览 by the menu, compares 江夏's institutions (table and
bar chart drawn by ECharts from app/static; no request leaves 127.0.0.1), drills down to the 卫生院 by clicking its
name, opens the staff behind a composition figure and the institution's staff list, then its 资料完整度. Screenshots into /work/wt/shots16/d/."""
import datetime
import os
from urllib.parse import urlparse

import pytest
from sqlalchemy import select

from app.models.people import Person
from tests.e2e.helpers import open_menu, session, shooter
from tests.services.test_region_stats import _month_start, fixture_data  # noqa: F401 — the fixture

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SHOTS = os.environ.get("SHOTS_DIR") or ("/work/wt/shots16/d" if os.path.isdir("/work/wt") else None)


def _history(db, inst):
    """Started work and entered over the last two years, so the monthly chart has a history."""
    people = list(db.session.scalars(select(Person).where(Person.institution_id == inst.id).order_by(Person.id)))
    for i, p in enumerate(people):
        p.work_start = _month_start(23 - (i * 23) // len(people))
        p.created_at = datetime.datetime.combine(p.work_start, datetime.time(9))
    db.session.commit()


def test_region_admin_compares_its_institutions_and_drills_down(app, db, live_server, browser, tmp_path,
                                                                 fixture_data):  # noqa: F811
    jiangxia, jiangxia2, wuchang = fixture_data
    _history(db, jiangxia)
    shot = shooter(tmp_path, SHOTS)
    page = session(browser, live_server, "region_admin")
    requests = []
    page.on("request", lambda r: requests.append(r.url))

    open_menu(page, "区域管理", "统计概览", "**/region/stats/")
    page.locator("#comparison-table").wait_for()
    page.locator('#chart-comparison[data-drawn="1"]').wait_for()
    page.locator('#chart-months[data-drawn="1"]').wait_for()
    page.locator('#chart-composition[data-drawn="1"]').wait_for()
    rows = page.locator("#comparison-table tr.stats-unit")
    assert rows.count() == 2
    mine = page.locator(f'#comparison-table tr[data-unit="i{jiangxia.id}"]')
    assert mine.locator('[data-col="staff"]').inner_text() == "39"
    assert mine.locator('[data-col="expiring"]').inner_text() == "3"
    assert "武昌" not in page.locator("#comparison-table").inner_text()
    assert page.locator('[data-figure="staff"]').inner_text() == "51"
    assert page.locator("#months-table tbody tr").count() == 24
    assert page.locator("#chart-comparison canvas").count() == 1
    shot(page, "region-stats.png")

    mine.get_by_role("link", name="武汉市江夏区示例镇卫生院").click()
    page.wait_for_url(f"**/region/stats/?institution_id={jiangxia.id}")
    page.locator('#chart-composition[data-drawn="1"]').wait_for()
    assert page.locator("#stats-trail li.active").inner_text() == "武汉市江夏区示例镇卫生院"
    assert page.locator('[data-figure="staff"]').inner_text() == "39"
    assert page.locator("#comparison-table").count() == 0
    page.locator("#dim").select_option("age_band")  # data-autosubmit
    page.wait_for_url("**dim=age_band**")
    page.locator('#chart-composition[data-drawn="1"]').wait_for()
    assert page.locator("#composition-total").inner_text() == "39"
    shot(page, "region-stats-institution.png")

    band = page.locator('#composition-table tr[data-code="36-45"]')
    count = band.locator("a").inner_text()
    band.locator("a").click()  # the staff behind the figure (常用统计's 统计人员名单)
    page.wait_for_url("**/stats/staff/**")
    page.locator("#stats-staff-total").wait_for()
    assert page.locator("#stats-staff-total").inner_text() == count
    assert "36–45岁" in page.locator("#stats-drill").inner_text()
    page.go_back()
    page.wait_for_url("**dim=age_band**")
    page.locator("#institution-staff").click()
    page.wait_for_url(f"**/stats/staff/?stat_institution={jiangxia.id}")
    page.locator("#stats-staff-list").wait_for()
    assert "武昌" not in page.locator("#stats-staff-list").inner_text()
    page.go_back()
    page.wait_for_url("**dim=age_band**")

    page.locator("#institution-completeness").click()
    page.wait_for_url(f"**/stats/completeness/?institution_id={jiangxia.id}")
    page.locator("#completeness-table").wait_for()
    assert page.locator("#missing-table tbody tr").count() == 8
    shot(page, "completeness.png")

    foreign = [u for u in requests if urlparse(u).hostname not in ("127.0.0.1", None) and not u.startswith("data:")]
    assert foreign == [], foreign
    assert any("vendor/echarts/echarts.min.js" in u for u in requests)
