"""Steps the browser tests share."""
import os
import shutil

DEMO_PASSWORD = "Demo@Hb-2580"


def login(page, base, username="inst_admin", password=DEMO_PASSWORD):
    """Log in through the form and wait until the browser has left the login page, so the session cookie is set
    before the test opens the next page (a `goto` right after the click could cut the login response short)."""
    page.goto(f"{base}/login/")
    page.get_by_label("账号").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)


def shooter(tmp_path, shots=None):
    """A function saving a full-page screenshot to tmp_path and, when `shots` is a folder, a copy there (the
    issue notes' screenshots)."""
    if shots:
        os.makedirs(shots, exist_ok=True)

    def shot(page, name):
        path = tmp_path / name
        page.screenshot(path=str(path), full_page=True)
        if shots:
            shutil.copyfile(path, os.path.join(shots, name))

    return shot


def session(browser, base, username):
    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    login(page, base, username)
    return page


def switch_subsystem(page, subsystem):
    """The top bar's subsystem switcher, as a user changes from one subsystem's menu to another's."""
    page.locator("#subsystem-switcher > a").click()
    with page.expect_navigation():
        page.locator("#subsystem-switcher .dropdown-menu").get_by_role("link", name=subsystem).click()
    page.locator("#subsystem-switcher > a", has_text=subsystem).wait_for()


def open_menu(page, category, entry, url):
    """A top-bar category's dropdown, then one of its entries, as a user opens a page."""
    page.locator(".navbar-nav > li.dropdown > a", has_text=category).first.click()
    page.locator(".navbar-nav .dropdown-menu a", has_text=entry).first.click()
    page.wait_for_url(url)


def register_vehicle(page, plate, vehicle_type, status):
    """车辆档案管理's list → FAB's + button → the add form → 保存, back on the list with the plate shown."""
    page.locator('a[href*="/emergency/vehicles/add"]').first.click()
    page.wait_for_url("**/emergency/vehicles/add")
    page.locator("#plate_no").wait_for()
    page.locator("#plate_no").fill(plate)
    page.locator("#vehicle_type").select_option(vehicle_type)
    page.locator("#status").select_option(status)
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(lambda url: "/add" not in url)
    page.locator(f"text={plate}").first.wait_for()
