"""Steps the browser tests share."""
DEMO_PASSWORD = "Demo@Hb-2580"


def login(page, base, username="inst_admin", password=DEMO_PASSWORD):
    """Log in through the form and wait until the browser has left the login page, so the session cookie is set
    before the test opens the next page (a `goto` right after the click could cut the login response short)."""
    page.goto(f"{base}/login/")
    page.get_by_label("账号").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)
