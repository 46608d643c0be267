"""人员信息管理 list in a real browser: the 批量导入 / 导出 / 下载模板 buttons sit on the toolbar next to 新增人员, open
their lists of data sets and lead to 人员信息导入管理 (upload page, template download)."""
import pytest

from app.services import seed
from tests.e2e.helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_import_buttons_on_the_people_list(app, db, live_server, page, tmp_path):
    seed.seed_people(25)  # the 江夏 centre with departments, mapped posts and two pages of staff

    login(page, live_server)
    page.goto(f"{live_server}/people/list/")

    page.screenshot(path=str(tmp_path / "people-list-buttons.png"))

    buttons = [page.get_by_role("link", name="新增人员"), page.locator("#people-import-menu"),
               page.locator("#people-export-menu"), page.locator("#people-template-menu")]
    boxes = [b.bounding_box() for b in buttons]
    search = page.locator("#q").bounding_box()
    table = page.locator("#people-list").bounding_box()
    # one row of buttons under the search form, left to right from its left edge, clear of the table
    for box in boxes:
        assert abs(box["y"] - boxes[0]["y"]) < 2, box
    assert boxes[0]["y"] >= search["y"] + search["height"] + 4
    assert boxes[0]["y"] + boxes[0]["height"] + 4 <= table["y"]
    assert abs(boxes[0]["x"] - search["x"]) < 2
    assert [b["x"] for b in boxes] == sorted(b["x"] for b in boxes)
    assert boxes[-1]["x"] + boxes[-1]["width"] <= table["x"] + table["width"]

    page.locator("#people-import-menu").click()
    menu = page.locator("[aria-labelledby=people-import-menu]")
    assert menu.is_visible()
    assert menu.locator("a").all_inner_texts()[:2] == ["基本信息", "工作经历"]
    page.screenshot(path=str(tmp_path / "people-list-import-menu.png"))
    menu.get_by_role("link", name="基本信息").click()
    page.wait_for_url("**/imports/upload/basic")
    assert "基本信息批量导入" in page.locator("h1").inner_text()

    page.go_back()
    page.locator("#people-template-menu").click()
    with page.expect_download() as download:
        page.locator("[aria-labelledby=people-template-menu]").get_by_role("link", name="基本信息模板").click()
    assert download.value.suggested_filename == "基本信息导入模板_武汉市江夏区示例镇卫生院.xlsx"
