"""药品字典 in a real browser: the operator finds a drug by its 拼音缩写 in the list's search, renames it, and the
list and the type-ahead show the regenerated abbreviation."""
import json

import pytest
from sqlalchemy import select

from app.models.emergency_drugs import DrugItem
from tests.e2e.helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_operator_renames_a_drug_and_the_abbreviation_follows(app, db, live_server, page):
    drug = db.session.scalar(select(DrugItem).where(DrugItem.name == "布洛芬").order_by(DrugItem.id).limit(1))
    login(page, live_server, "sysadmin01")

    page.goto(f"{live_server}/drugitemview/list/?_flt_0_abbreviation=blf")
    assert "布洛芬" in page.locator("table.table-bordered").inner_text()

    page.goto(f"{live_server}/drugitemview/edit/{drug.id}")
    assert page.locator('input[name="abbreviation"]').count() == 0  # generated, never typed
    page.get_by_label("通用名").fill("布洛芬混悬液")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/drugitemview/list/**")

    page.goto(f"{live_server}/drugitemview/list/?_flt_0_abbreviation=blfhxy")
    assert "布洛芬混悬液" in page.locator("table.table-bordered").inner_text()
    page.goto(f"{live_server}/drugs/search/?q=blfhx")
    found = json.loads(page.locator("body").inner_text())["items"]
    assert [d["name"] for d in found] == ["布洛芬混悬液"]
