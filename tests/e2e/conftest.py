import os

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

# Every page a browser test opens is also checked against the Content-Security-Policy (docs/security.md): Chromium
# reports a blocked inline script, inline handler, eval or foreign resource on the console, and the page's own
# securitypolicyviolation event is echoed there too. Any such message fails the test.
CSP_MARK = "Content Security Policy"
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("Content Security Policy violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
                + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


def _watch(context, violations):
    context.add_init_script(_REPORT_VIOLATIONS)
    context.on("console", lambda msg: violations.append(f"{msg.page.url if msg.page else ''}: {msg.text}")
               if CSP_MARK in msg.text else None)
    return context


@pytest.fixture
def csp_violations():
    return []


@pytest.fixture
def browser(csp_violations):
    """Debian's Chromium driven by Playwright (never a downloaded browser). Every context it makes, including those
    a test opens itself (browser.new_context / new_page), reports CSP violations into `csp_violations`."""
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), f"{CHROMIUM} 不存在：请先 apt-get install chromium fonts-wqy-zenhei"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        new_context = browser.new_context

        def watched_context(**kwargs):
            return _watch(new_context(**kwargs), csp_violations)

        def watched_page(**kwargs):
            return watched_context(**kwargs).new_page()

        browser.new_context = watched_context
        browser.new_page = watched_page
        yield browser
        browser.close()
    assert csp_violations == [], "Content-Security-Policy violations:\n" + "\n".join(csp_violations)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()
