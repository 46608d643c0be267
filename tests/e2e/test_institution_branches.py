"""分院信息: a branch is edited by clicking 修改 in its row, not only added and deleted."""
import pytest
from sqlalchemy import select

from app.models.org import Branch, Institution
from app.services import institutions as svc
from app.services.seed import JIANGXIA_CODE
from tests.e2e.helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_branch_is_edited_by_clicking(app, db, live_server, page):
    inst = db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))
    branch_id = svc.save_branch(inst, {"name": "东分院", "phone": "027-1234567"}).id
    login(page, live_server)
    page.get_by_role("link", name="机构信息管理").first.click()  # the menu category, then its page
    page.get_by_role("link", name="机构信息维护").first.click()
    page.get_by_role("tab", name="分院信息").click()
    page.get_by_role("link", name="修改分院 东分院").click()
    page.wait_for_selector("text=修改分院：东分院")
    assert page.input_value("#b_phone") == "027-1234567"
    page.fill("#b_name", "东院区")
    page.get_by_role("button", name="保存修改").click()
    page.wait_for_selector("text=分院信息已保存")
    db.session.expire_all()
    assert db.session.get(Branch, branch_id).name == "东院区"
    assert db.session.scalar(select(Branch.id).where(Branch.name == "东分院")) is None
