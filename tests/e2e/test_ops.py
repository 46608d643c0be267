"""运维控制台 in a real browser (issue 17): the operator reaches /ops from the 系统管理 menu, fixes a misspelt
dictionary entry (the next person form offers the corrected name) and unlocks a locked account, which then logs in."""
import datetime

import pytest
from sqlalchemy import select

from app.models.dictionary import DictItem
from app.models.security import User
from tests.e2e.helpers import login, open_menu, session, shooter

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SHOTS = "/work/wt/shots17/a"


def test_operator_fixes_a_dictionary_entry_and_unlocks_an_account(app, db, live_server, browser, tmp_path):
    shot = shooter(tmp_path, SHOTS)
    entry = db.session.scalar(select(DictItem).where(DictItem.type == "ethnicity", DictItem.code == "02"))
    entry.name = "蒙古簇"  # the misspelling an institution reported
    locked = db.session.scalar(select(User).where(User.username == "inst_staff"))
    locked.locked_until, locked.fail_login_count = datetime.datetime.now() + datetime.timedelta(minutes=30), 5
    db.session.commit()

    page = session(browser, live_server, "sysadmin01")
    open_menu(page, "系统管理", "运维控制台", "**/ops/")
    page.get_by_role("link", name="数据字典").first.wait_for()
    shot(page, "ops_01_home.png")

    # 字典与目录 → 数据字典, search the misspelt name, edit it
    page.locator("a.nav-link.dropdown-toggle", has_text="字典与目录").click()
    page.locator(".dropdown-menu a", has_text="数据字典").first.click()
    page.wait_for_url("**/ops/dictionary/**")
    page.locator("input[type=text][name=search]").wait_for()
    page.locator("input[type=text][name=search]").fill("蒙古簇")
    page.locator("input[type=text][name=search]").press("Enter")
    page.wait_for_url("**search=*")
    row = page.locator("table.model-list tbody tr", has_text="蒙古簇")
    row.wait_for()
    shot(page, "ops_02_dictionary_found.png")
    row.locator("a[title='编辑记录']").click()
    page.wait_for_url("**/ops/dictionary/edit/**")
    page.locator("#name").wait_for()
    assert page.locator("#type").count() == 0 and page.locator("#code").count() == 0  # codes are national, fixed
    page.locator("#name").fill("蒙古族")
    shot(page, "ops_03_dictionary_edit.png")
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_url(lambda url: "/edit/" not in url)
    page.locator(".alert", has_text="保存记录成功").wait_for()
    shot(page, "ops_04_dictionary_saved.png")
    db.session.expire_all()
    assert db.session.get(DictItem, entry.id).name == "蒙古族"

    # the list's inline edit: 序号 of the corrected entry, typed in the cell and saved without leaving the list
    page.locator("input[type=text][name=search]").fill("蒙古族")
    page.locator("input[type=text][name=search]").press("Enter")
    page.wait_for_url("**search=%E8%92%99%E5%8F%A4%E6%97%8F*")
    row = page.locator("table.model-list tbody tr", has_text="蒙古族")
    row.wait_for()
    row.locator("a[data-role=ops-inline][name=order]").click()
    row.locator("input.ops-inline-input").fill("7")
    row.get_by_role("button", name="保存").click()
    row.locator("a.ops-inline-saved", has_text="7").wait_for()
    shot(page, "ops_04b_inline_order.png")
    db.session.expire_all()
    assert db.session.get(DictItem, entry.id).order == 7

    # 运行管理 → 锁定账号, tick inst_staff, 选中的 → 解锁
    page.locator("a.nav-link.dropdown-toggle", has_text="运行管理").click()
    page.locator(".dropdown-menu a", has_text="锁定账号").first.click()
    page.wait_for_url("**/ops/locked-account/**")
    row = page.locator("table.model-list tbody tr", has_text="inst_staff")
    row.wait_for()
    shot(page, "ops_05_locked_accounts.png")
    row.locator("input.action-checkbox").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("a.dropdown-toggle", has_text="选中的").click()
    page.locator("a[data-ops-action=unlock]").click()
    page.locator(".alert", has_text="已解锁 1 个账号").wait_for()
    shot(page, "ops_06_unlocked.png")
    db.session.expire_all()
    assert db.session.get(User, locked.id).locked_until is None

    # the account logs in again, and the next person form offers the corrected name
    staff = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN").new_page()
    login(staff, live_server, "inst_staff")
    assert "/login" not in staff.url
    owner = session(browser, live_server, "inst_admin")
    owner.goto(f"{live_server}/people/add")
    options = owner.locator("select[name=ethnicity] option").all_inner_texts()
    assert "蒙古族" in options and "蒙古簇" not in options

    # the audit viewer shows the edit: 名称 蒙古簇 → 蒙古族
    page.locator("a.nav-link.dropdown-toggle", has_text="审计").click()
    page.locator(".dropdown-menu a", has_text="审计日志").first.click()
    page.wait_for_url("**/ops/audit/**")
    page.locator("a.dropdown-toggle", has_text="添加筛选器").click()
    page.locator(".field-filters a.filter", has_text="数据类别").click()
    page.locator("select.filter-val").select_option("dict_item", force=True)
    page.get_by_role("button", name="应用").click()
    page.wait_for_url(lambda url: "=dict_item" in url)
    changes = page.locator("table.model-list tbody tr", has_text="蒙古簇").first
    changes.wait_for()
    assert "蒙古族" in changes.inner_text() and "数据字典" in changes.inner_text()
    shot(page, "ops_07_audit.png")


def test_operator_reads_the_upload_storage_and_purges_the_due_import_files(app, db, live_server, browser, tmp_path):
    import os

    from app.models.imports import ImportJob
    from app.models.org import Institution
    from app.services.imports import jobs

    shot = shooter(tmp_path, "/work/wt/shots17/c")
    inst = db.session.scalar(select(Institution).order_by(Institution.id).limit(1))
    ended = datetime.datetime.now() - datetime.timedelta(days=app.config["IMPORT_KEEP_DAYS"] + 2)
    job = ImportJob(institution_id=inst.id, set_key="basic", filename="到期人员.xlsx", status="已完成", total=3,
                    finished_at=ended)
    db.session.add(job)
    db.session.flush()
    job.upload_path = f"imports/{job.id}/upload.xlsx"
    target = jobs.absolute_path(job.upload_path)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as fh:
        fh.write(b"x" * 4096)
    db.session.commit()

    page = session(browser, live_server, "sysadmin01")
    open_menu(page, "系统管理", "运维控制台", "**/ops/")
    page.locator("a.nav-link.dropdown-toggle", has_text="运行管理").click()
    page.locator(".dropdown-menu a", has_text="上传文件").first.click()
    page.wait_for_url("**/ops/storage/**")
    page.locator("table.ops-storage tbody tr", has_text=inst.name).wait_for()
    shot(page, "ops_c1_storage.png")

    page.locator("a.nav-link.dropdown-toggle", has_text="运行管理").click()
    page.locator(".dropdown-menu a", has_text="定期清理").first.click()
    page.wait_for_url("**/ops/purge/**")
    page.locator("table.ops-due tbody tr", has_text="到期人员.xlsx").wait_for()
    shot(page, "ops_c2_purge_due.png")
    page.get_by_role("button", name="立即清理到期文件").click()
    page.locator(".alert", has_text="已清理 1 个到期导入任务的文件").wait_for()
    page.locator("table.ops-purged tbody tr", has_text="到期人员.xlsx").wait_for()
    shot(page, "ops_c3_purged.png")
    assert not os.path.exists(target)
