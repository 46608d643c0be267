"""Issue 10 item 1 in a real browser: an institution's change request carries the best PDF/HTML polyglot the upload
check still lets through (a real PDF with a web page in a comment, named 批复文件.html); the county reviewer opens it
by clicking 打开 PDF, and its script never runs: no marker, no dialog, the request is not approved."""
import io

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.domain import review
from app.models.org import Institution
from app.models.security import User
from app.models.workflow import ChangeRequest
from app.services import institutions
from app.services.seed import JIANGXIA_CODE
from tests.e2e.helpers import login
from tests.services.test_storage import _minimal_pdf

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# What the probe's file did: read the reviewer's CSRF token and approve the institution's own change.
ATTACK = b"""<html><body><script>
window.__pwned = 1; alert("pwned");
fetch("/changereview/list/").then(r => r.text()).then(t => {
  const pk = t.match(/changereview\\/show\\/(\\d+)/)[1];
  return fetch("/changereview/show/" + pk).then(r => r.text()).then(p => {
    const f = new FormData();
    f.append("csrf_token", p.match(/name="csrf_token" type="hidden" value="([^"]+)"/)[1]);
    f.append("action", "approve"); f.append("opinion", "ok");
    return fetch("/changereview/decide/" + pk, {method: "POST", body: f});
  });
});
</script></body></html>"""
# A PDF whose structure pypdf reads (one page) with the page in a comment line right after the header.
POLYGLOT = _minimal_pdf().replace(b"%PDF-1.4\n", b"%PDF-1.4\n%" + ATTACK.replace(b"\n", b" ") + b"\n", 1)


def test_reviewer_opens_a_polyglot_pdf_and_no_script_runs(app, db, live_server, page, tmp_path):
    owner = db.session.scalar(select(User).where(User.username == "inst_admin"))
    old_name = owner.institution.name
    request = institutions.request_change(owner, {"name": "被脚本改名的卫生院"}, "更名批复",
                                          [FileStorage(io.BytesIO(POLYGLOT), filename="批复文件.html")])
    assert request.files[0]["kind"] == "pdf"  # the check lets it through: a structurally valid PDF

    dialogs = []
    page.context.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, live_server, "region_admin")
    page.get_by_role("link", name="区域管理").click()
    page.get_by_role("link", name="机构信息变更审核").click()
    page.get_by_role("link", name="审核").first.click()
    assert "批复文件.html" in page.locator("#change-files").inner_text()

    with page.context.expect_page() as opened:
        page.get_by_role("link", name="打开 PDF").click()
    viewer = opened.value
    viewer.wait_for_load_state("load")
    viewer.screenshot(path=str(tmp_path / "pdf.png"))

    assert viewer.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("typeof window.__pwned") == "undefined"
    page.reload()
    assert page.locator("#request-status").inner_text() == "待审核"
    assert dialogs == []
    db.session.expire_all()
    assert db.session.get(ChangeRequest, request.id).status == review.SUBMITTED
    assert db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE)).name == old_name
