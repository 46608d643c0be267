"""映射管理 in a real browser: typing in the filter hides rows at once, clicking a row darkens it (and marks it for
screen readers), 确定 saves the mapping and the list no longer flags the post."""
import re

import pytest
from sqlalchemy import select

from app.models.org import Institution, Post
from app.services import posts
from app.services.seed import JIANGXIA_CODE
from tests.e2e.helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_mapping_page_filter_highlight_and_save(app, db, live_server, page, tmp_path):
    inst = db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))
    post_id = posts.create(inst.id, name="口腔科医生", category="专业技术岗").id

    login(page, live_server)
    page.goto(f"{live_server}/posts/list/")
    row = page.locator('tr[data-post="口腔科医生"]')
    assert "未映射" in row.inner_text()
    row.get_by_role("link", name="映射管理").click()

    page.get_by_label("筛选标准岗位").fill("医师")
    visible = page.locator("#sp-table tbody tr[data-id]:visible")
    assert visible.count() == 4
    assert "显示 4 个" in page.locator("#sp-count").inner_text()
    page.locator("#sp-table tbody tr", has_text="口腔医师").locator("td").nth(1).click()  # anywhere on the row
    chosen = page.locator("#sp-table tr.sp-chosen")
    assert chosen.count() == 1 and "口腔医师" in chosen.inner_text()
    assert page.get_by_role("radio", name=re.compile(r"^口腔医师\s*（已选中）$")).is_checked()  # screen readers hear it
    background = chosen.locator("th").evaluate("el => getComputedStyle(el).backgroundColor")
    assert background == "rgb(42, 87, 136)"  # the row turns dark
    assert "口腔医师（ZJ02）" in page.locator("#sp-current").inner_text()
    page.screenshot(path=str(tmp_path / "mapping.png"), full_page=True)

    page.get_by_role("button", name="确定").click()
    page.wait_for_selector("text=已映射到标准岗位“口腔医师”（ZJ02）")
    assert "未映射" not in page.locator('tr[data-post="口腔科医生"]').inner_text()
    db.session.expire_all()
    assert db.session.get(Post, post_id).standard_post.code == "ZJ02"
