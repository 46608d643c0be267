"""Before 实名认证 is approved an account's menu shows only the certification page (issue 11, spec 2.1)."""
from sqlalchemy import select

from app.models.security import User


def _uncertify(db, username):
    user = db.session.scalar(select(User).where(User.username == username))
    user.certified_at = None
    db.session.commit()


def test_uncertified_owner_sees_only_the_certification_page_in_the_menu(db, login_as):
    _uncertify(db, "inst_admin")
    c = login_as("inst_admin")
    resp = c.get("/", follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.request.path == "/certification/"
    for page in ("/accounts/list/", "/people/list/", "/auditlogview/list/", "/roleprofileview/list/"):
        assert f'href="{page}' not in html, page  # no menu entry that would only bounce back here
    assert 'id="menu-certification"' in html
    assert 'id="subsystem-switcher"' not in html


def test_certified_owner_keeps_its_menu(login_as):
    html = login_as("inst_admin").get("/").get_data(as_text=True)
    assert 'id="menu-certification"' not in html
    assert 'href="/accounts/list/"' in html and 'href="/people/list/"' in html


def test_sysadmin_needs_no_certification(db, login_as):
    _uncertify(db, "sysadmin01")
    html = login_as("sysadmin01").get("/").get_data(as_text=True)
    assert 'id="menu-certification"' not in html and 'href="/accounts/list/"' in html
