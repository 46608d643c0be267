"""退出登录 in a real browser: the user menu's button posts the form with its token; the session ends, and so does a
copy of its cookie held by another browser."""
import pytest

from tests.e2e.helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_logout_from_the_user_menu_ends_a_copied_session_too(live_server, browser, page, tmp_path):
    login(page, live_server, "inst_staff")
    thief = browser.new_context()
    thief.add_cookies(page.context.cookies())
    stolen = thief.new_page()
    stolen.goto(f"{live_server}/")
    assert "/login" not in stolen.url  # the copy works while the session lives

    page.locator(".navbar .dropdown-toggle .fa-user").click()
    page.screenshot(path=str(tmp_path / "user-menu.png"))
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/login/**")

    stolen.goto(f"{live_server}/people/list/")
    assert "/login" in stolen.url
    thief.close()
