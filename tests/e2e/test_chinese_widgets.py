"""FAB's dropdowns (select2) in Chinese in a real browser: 辖区机构 新增, reached through the menu, shows no English
tooltip ("Remove all items") or placeholder ("Select a State")."""
import pytest

from tests.e2e.helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _open_menu(page, category, item):
    page.locator("a.dropdown-toggle", has_text=category).first.click()
    page.locator("ul.dropdown-menu a", has_text=item).first.click()


def test_dropdowns_of_the_institution_form_are_chinese(live_server, page, tmp_path):
    login(page, live_server, "region_admin")
    _open_menu(page, "区域管理", "辖区机构")
    page.locator("a[href*='/regioninstitutionview/add']").first.click()  # the list's + button
    page.wait_for_selector(".select2-container")
    page.screenshot(path=str(tmp_path / "institution-add.png"), full_page=True)
    html = page.content()
    assert "Remove all items" not in html and "Select a State" not in html
    clear = page.locator(".select2-selection__clear")
    if clear.count():
        assert clear.first.get_attribute("title") == "清除全部"
    assert page.locator(".select2-selection__placeholder").filter(has_text="请选择").count() >= 1 or clear.count()
