"""The top bar at the office screen size (1366×768) and at 1920×1080: one row, and every top-level menu entry, the
subsystem switcher and the user menu visible and clickable, for the largest menu (sysadmin01) and an institution's
owner (inst_admin). Screenshots go to the test's tmp dir (and to $LAYOUT_SHOTS_DIR when set) to be looked at."""
import os
import shutil

import pytest

from tests.e2e.helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

#: One row of Bootstrap 3's navbar is 50 px; two rows are about 100.
ONE_ROW = 60

#: The centre of the element is the element itself (or inside it), not something drawn over it.
_HIT = """el => { const r = el.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return !!hit && (hit === el || el.contains(hit)); }"""


def _top_entries(page):
    return page.locator(".navbar .navbar-nav > li > a")


def _check_top_bar(page, width, height, shot, where):
    page.screenshot(path=str(shot))
    if os.environ.get("LAYOUT_SHOTS_DIR"):
        os.makedirs(os.environ["LAYOUT_SHOTS_DIR"], exist_ok=True)
        shutil.copy(shot, os.environ["LAYOUT_SHOTS_DIR"])
    bar = page.locator(".navbar").first.bounding_box()
    assert bar["height"] <= ONE_ROW, f"{where}：顶栏高 {bar['height']} px，折成了两行"
    entries = _top_entries(page)
    labels = [t.strip() for t in entries.all_inner_texts()]
    assert len(labels) >= 3 and all(labels), labels
    for i in range(entries.count()):
        link = entries.nth(i)
        box = link.bounding_box()
        assert link.is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= width, labels[i]
        assert box["y"] + box["height"] <= bar["y"] + bar["height"] + 1, f"{where}：“{labels[i]}”不在顶栏的一行里"
        assert link.evaluate(_HIT), f"{where}：“{labels[i]}”被遮住了"
        if link.get_attribute("data-toggle") == "dropdown":
            link.click()
            menu = link.locator("xpath=../ul[contains(@class, 'dropdown-menu')]")
            assert menu.is_visible(), f"{where}：点击“{labels[i]}”没有展开菜单"
            page.mouse.click(width // 2, height - 5)
            assert not menu.is_visible()
    switcher = page.locator("#subsystem-switcher")
    assert switcher.count() == 1 and switcher.is_visible()  # both demo accounts have more than one subsystem
    page.locator(".navbar .dropdown-toggle .fa-user").click()
    assert page.get_by_role("link", name="修改密码").is_visible()
    page.mouse.click(width // 2, height - 5)


@pytest.mark.parametrize("width,height", [(1366, 768), (1920, 1080)])
@pytest.mark.parametrize("username", ["sysadmin01", "inst_admin"])
def test_top_bar_is_one_row_with_every_entry_visible_and_clickable(live_server, browser, tmp_path, username,
                                                                   width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    login(page, live_server, username)
    page.get_by_role("link", name="卫生健康基础资源管理系统").first.click()
    page.wait_for_load_state()
    _check_top_bar(page, width, height, tmp_path / f"navbar-{username}-{width}.png", "基础资源管理")

    if username == "sysadmin01":  # every subsystem's menu, through the switcher
        names = page.locator("#subsystem-switcher .dropdown-menu a").all_inner_texts()
        for n, name in enumerate(names):
            page.locator("#subsystem-switcher > a").click()
            page.locator("#subsystem-switcher .dropdown-menu a", has_text=name.strip()).click()
            page.wait_for_load_state()
            assert name.strip() in page.locator("#subsystem-switcher > a").inner_text()
            _check_top_bar(page, width, height, tmp_path / f"navbar-{username}-{width}-{n}.png", name.strip())
    context.close()
