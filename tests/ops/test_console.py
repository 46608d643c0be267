"""运维控制台 at /ops (issue 17): who may open it, CSRF on its forms, and what an operator does there (a dictionary
fix reaching the next form, bulk unlock, stuck import jobs, the audit viewer, nothing shown that must stay secret)."""
import datetime
import re

import pytest
from sqlalchemy import func, select

from app.models.audit import AuditLog
from app.models.dictionary import DictItem
from app.models.imports import ImportJob
from app.models.security import User
from tests.conftest import CSRF_RE, csrf_token, login

STATIC_ENDPOINTS = {"ops.static"}


def _ops_rules(app):
    return sorted((r for r in app.url_map.iter_rules() if r.rule.startswith("/ops")
                   and r.endpoint not in STATIC_ENDPOINTS), key=lambda r: r.rule)


def _url(rule):
    url = rule.rule
    for arg in rule.arguments:
        url = re.sub(rf"<(?:[a-z]+:)?{arg}>", "csv" if arg == "export_type" else "1", url)
    return url


def test_every_ops_route_is_guarded_and_the_sweep_walks_them_all(app, db, login_as):
    rules = _ops_rules(app)
    assert len(rules) > 60  # ten pages of Flask-Admin routes: a change to the mounting shows here
    anonymous = app.test_client()
    refused = {name: login_as(name) for name in ("inst_admin", "region_admin", "inst_staff")}
    token_of = {name: csrf_token(c, "/") for name, c in refused.items()}
    anon_token = csrf_token(anonymous)
    for rule in rules:
        url = _url(rule)
        if "GET" in rule.methods:
            resp = anonymous.get(url)
            assert resp.status_code == 302 and "/login/" in resp.headers["Location"], (url, resp.status_code)
            for name, c in refused.items():
                resp = c.get(url)
                assert resp.status_code == 403, (name, url, resp.status_code)
                assert "没有权限" in resp.get_data(as_text=True)
        if "POST" in rule.methods:
            resp = anonymous.post(url, data={"csrf_token": anon_token})
            assert resp.status_code == 302 and "/login/" in resp.headers["Location"], (url, resp.status_code)
            for name, c in refused.items():
                assert c.post(url, data={"csrf_token": token_of[name]}).status_code == 403, (name, url)


def test_only_the_operator_sees_the_menu_link_and_it_opens_the_console(login_as):
    operator = login_as("sysadmin01")
    assert "运维控制台" in operator.get("/").get_data(as_text=True)
    resp = operator.get("/opslink/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/ops/")
    page = operator.get("/ops/").get_data(as_text=True)
    assert "运维控制台" in page and "数据字典" in page and "审计日志" in page
    for name in ("inst_admin", "region_admin"):
        c = login_as(name)
        assert "运维控制台" not in c.get("/").get_data(as_text=True)
        assert c.get("/opslink/").status_code in (302, 403)
        assert c.get("/ops/").status_code == 403


def test_every_ops_form_refuses_a_post_without_the_token(app, db, login_as):
    operator = login_as("sysadmin01")
    item = db.session.scalar(select(DictItem).where(DictItem.type == "ethnicity", DictItem.code == "01"))
    before = (item.name, db.session.scalar(select(func.count()).select_from(DictItem)))
    posts = [r for r in _ops_rules(app) if "POST" in r.methods]
    assert len(posts) >= 30
    for rule in posts:
        url = _url(rule).replace("/1", f"/{item.id}")
        for data in ({}, {"csrf_token": "forged"}):
            resp = operator.post(url, data={**data, "name": "被篡改", "type": "ethnicity", "code": "99",
                                            "list_form_pk": item.id, "rowid": item.id})
            assert resp.status_code == 400, (url, resp.status_code)
    db.session.expire_all()
    item = db.session.get(DictItem, item.id)
    assert (item.name, db.session.scalar(select(func.count()).select_from(DictItem))) == before
    # the forms themselves carry the token the site checks
    for url in ("/ops/dictionary/new/", f"/ops/dictionary/edit/?id={item.id}", "/ops/locked-account/"):
        assert 'name="csrf_token"' in operator.get(url).get_data(as_text=True), url


def _token(client, url):
    match = CSRF_RE.search(client.get(url).get_data(as_text=True))
    assert match, url
    return match.group(1)


def test_a_dictionary_fix_in_ops_shows_in_the_next_person_form_and_in_the_audit_viewer(app, db, login_as):
    item = db.session.scalar(select(DictItem).where(DictItem.type == "ethnicity", DictItem.code == "01"))
    old_name = item.name
    operator = login_as("sysadmin01")
    listing = operator.get("/ops/dictionary/?flt0_0=ethnicity").get_data(as_text=True)
    assert old_name in listing and "字典类型" in listing
    url = f"/ops/dictionary/edit/?id={item.id}"
    resp = operator.post(url, data={"csrf_token": _token(operator, url), "name": "汉族（已更正）", "order": "1",
                                    "active": "y"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    db.session.expire_all()
    assert db.session.get(DictItem, item.id).name == "汉族（已更正）"
    form = login_as("inst_admin").get("/people/add").get_data(as_text=True)
    assert "汉族（已更正）" in form and f">{old_name}<" not in form

    entry = db.session.scalar(select(AuditLog).where(AuditLog.entity == "dict_item",
                                                     AuditLog.entity_id == str(item.id)).order_by(AuditLog.id.desc()))
    assert entry.username == "sysadmin01" and entry.changes["name"] == [old_name, "汉族（已更正）"]
    # 审计日志: filtered by entity (3) and record id (8), the entry shows 名称: old → new
    page = operator.get(f"/ops/audit/?flt0_3=dict_item&flt1_8={item.id}").get_data(as_text=True)
    assert "数据字典" in page and "<td>名称</td>" in page and old_name in page and "汉族（已更正）" in page
    detail = operator.get(f"/ops/audit/details/?id={entry.id}").get_data(as_text=True)
    assert old_name in detail and "汉族（已更正）" in detail and "sysadmin01" in detail


def _rows(page):
    return page.count('class="action-checkbox"') or page.count("<tr>") - 1


def test_the_audit_viewer_filters_by_user_entity_action_time_and_record(app, db, login_as):
    from app.models.org import Region

    operator = login_as("sysadmin01")
    region = db.session.scalar(select(Region).where(Region.code == "420115"))
    url = f"/ops/region/edit/?id={region.id}"
    operator.post(url, data={"csrf_token": _token(operator, url), "name": "江夏区（测）"})
    item = db.session.scalar(select(DictItem).where(DictItem.type == "sex", DictItem.code == "1"))
    url = f"/ops/dictionary/edit/?id={item.id}"
    operator.post(url, data={"csrf_token": _token(operator, url), "name": "男（测）", "order": "1", "active": "y"})

    def shown(query):
        page = operator.get("/ops/audit/?" + query).get_data(as_text=True)
        return ("江夏区（测）" in page, "男（测）" in page)

    assert shown("") == (True, True)
    assert shown("flt0_3=dict_item") == (False, True)  # 数据类别
    assert shown("flt0_3=region") == (True, False)
    assert shown(f"flt0_8={region.id}&flt1_3=region") == (True, False)  # 记录编号
    assert shown("flt0_0=sysadmin") == (True, True)  # 操作人
    assert shown("flt0_0=inst_admin") == (False, False)
    assert shown("flt0_4=update&flt1_3=dict_item") == (False, True)  # 操作
    assert shown("flt0_4=delete") == (False, False)
    now = datetime.datetime.now()
    past = f"{now - datetime.timedelta(days=3):%Y-%m-%d %H:%M:%S} to {now - datetime.timedelta(days=2):%Y-%m-%d %H:%M:%S}"
    around = f"{now - datetime.timedelta(hours=1):%Y-%m-%d %H:%M:%S} to {now + datetime.timedelta(hours=1):%Y-%m-%d %H:%M:%S}"
    assert shown("flt0_5=" + past) == (False, False)  # 时间
    assert shown("flt0_5=" + around) == (True, True)
    inst_id = db.session.scalar(select(User.institution_id).where(User.username == "inst_admin"))
    assert shown(f"flt0_2={inst_id}") == (False, False)  # 机构编号: neither edit belongs to an institution


def test_the_audit_viewer_filters_and_exports_a_range(app, db, login_as):
    import io

    from openpyxl import load_workbook

    operator = login_as("sysadmin01")
    page = operator.get("/ops/audit/").get_data(as_text=True)
    for label in ("操作人", "机构编号", "数据类别", "操作", "时间", "记录编号"):
        assert label in page
    resp = operator.get("/ops/audit/export/xlsx/")
    assert resp.status_code == 200
    sheet = load_workbook(io.BytesIO(resp.data)).active
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["时间", "操作人"] and "变更内容（字段：原值 → 新值）" in header
    assert sheet.max_row == 1 + db.session.scalar(select(func.count()).select_from(AuditLog))


def test_an_operator_unlocks_locked_accounts_in_bulk_and_they_log_in(app, db, login_as):
    until = datetime.datetime.now() + datetime.timedelta(minutes=30)
    ids = []
    for name in ("inst_staff", "inst2_admin"):
        user = db.session.scalar(select(User).where(User.username == name))
        user.locked_until, user.fail_login_count = until, 5
        ids.append(user.id)
    db.session.commit()
    locked_client = app.test_client()
    login(locked_client, "inst_staff")
    assert "/login/" in locked_client.get("/people/list/").headers.get("Location", "")  # refused while locked
    operator = login_as("sysadmin01")
    listing = operator.get("/ops/locked-account/").get_data(as_text=True)
    assert "inst_staff" in listing and "inst2_admin" in listing and "sysadmin01" not in listing
    resp = operator.post("/ops/locked-account/action/", data={
        "csrf_token": _token(operator, "/ops/locked-account/"), "action": "unlock", "rowid": [str(i) for i in ids]})
    assert resp.status_code == 302
    assert "已解锁 2 个账号" in operator.get(resp.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert all(db.session.get(User, i).locked_until is None for i in ids)
    unlocked = login_as("inst_staff")  # login_as asserts the 302 of a successful login
    assert unlocked.get("/people/list/").status_code == 200
    entry = db.session.scalar(select(AuditLog).where(AuditLog.entity == "ab_user", AuditLog.entity_id == str(ids[0]))
                              .order_by(AuditLog.id.desc()))
    assert entry.username == "sysadmin01" and "locked_until" in entry.changes


def test_import_jobs_mark_failed_and_refuse_a_finished_job(app, db, login_as):
    from app.models.org import Institution

    inst = db.session.scalar(select(Institution).limit(1))
    stuck = ImportJob(institution_id=inst.id, set_key="basic", filename="人员.xlsx", status="导入中", total=100,
                      processed=40, created=40, heartbeat_at=datetime.datetime.now())
    done = ImportJob(institution_id=inst.id, set_key="basic", filename="旧.xlsx", status="已完成", total=3)
    db.session.add_all([stuck, done])
    db.session.commit()
    operator = login_as("sysadmin01")
    token = _token(operator, "/ops/import-job/")
    listing = operator.get("/ops/import-job/").get_data(as_text=True)
    assert "人员.xlsx" in listing and "导入中" in listing and "基本信息" in listing
    resp = operator.post("/ops/import-job/action/", data={"csrf_token": token, "action": "mark_failed",
                                                          "rowid": [str(stuck.id)]})
    assert "已将 1 个导入任务标记为失败" in operator.get(resp.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    job = db.session.get(ImportJob, stuck.id)
    assert job.status == "失败" and job.failed == 60 and "运维人员" in job.message
    resp = operator.post("/ops/import-job/action/", data={"csrf_token": token, "action": "requeue",
                                                          "rowid": [str(done.id)]})
    assert "已经结束（已完成），不能重新排队" in operator.get(resp.headers["Location"]).get_data(as_text=True)
    assert db.session.get(ImportJob, done.id).status == "已完成"


def test_the_console_never_shows_a_password_hash_or_a_token(app, db, login_as):
    user = db.session.scalar(select(User).where(User.username == "inst_staff"))
    user.locked_until = datetime.datetime.now() + datetime.timedelta(minutes=5)
    db.session.commit()
    secret_hash = user.password
    operator = login_as("sysadmin01")
    pages = ["/ops/", "/ops/locked-account/", "/ops/locked-account/export/csv/", "/ops/locked-account/export/xlsx/",
             "/ops/audit/", "/ops/audit/export/csv/", "/ops/import-job/", "/ops/health/"]
    for url in pages:
        body = operator.get(url).data
        assert secret_hash.encode() not in body, url
        assert b"pbkdf2:" not in body and b"scrypt:" not in body, url
    assert operator.get(f"/ops/locked-account/details/?id={user.id}").status_code in (302, 404)
    assert operator.get(f"/ops/locked-account/edit/?id={user.id}").status_code in (302, 404)


def test_no_route_edits_or_deletes_an_audit_row(app, db, login_as):
    operator = login_as("sysadmin01")
    entry = db.session.scalar(select(AuditLog).order_by(AuditLog.id))
    before = (db.session.scalar(select(func.count()).select_from(AuditLog)), entry.changes, entry.username)
    token = _token(operator, "/ops/dictionary/new/")
    audit_rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/ops/audit")
                   or r.endpoint.startswith("AuditLogView.")]
    assert len(audit_rules) >= 10
    for rule in audit_rules:
        url = _url(rule).replace("/1", f"/{entry.id}")
        for method in ("post", "put", "delete", "patch"):
            resp = getattr(operator, method)(url + f"?id={entry.id}", data={
                "csrf_token": token, "rowid": [str(entry.id)], "action": "delete", "id": str(entry.id),
                "list_form_pk": str(entry.id), "username": "x", "changes": "{}"})
            assert resp.status_code in (302, 400, 403, 404, 405), (method, url, resp.status_code)
    db.session.expire_all()
    entry = db.session.get(AuditLog, entry.id)
    assert (db.session.scalar(select(func.count()).select_from(AuditLog)), entry.changes, entry.username) == before


def test_health_page_reports_the_database_and_disk(login_as):
    page = login_as("sysadmin01").get("/ops/health/").get_data(as_text=True)
    assert "数据库" in page and "磁盘空间" in page and "正常" in page and "导入任务" in page


def test_exports_are_csv_for_excel_and_xlsx(login_as):
    operator = login_as("sysadmin01")
    csv = operator.get("/ops/dictionary/export/csv/?flt0_0=ethnicity")
    assert csv.data.startswith("\ufeff".encode()) and "字典类型" in csv.data.decode("utf-8-sig")
    assert "UTF-8''" in csv.headers["Content-Disposition"]
    xlsx = operator.get("/ops/dictionary/export/xlsx/")
    assert xlsx.data[:2] == b"PK"


@pytest.mark.parametrize("user", ["sysadmin01"])
def test_console_is_in_chinese(login_as, user):
    page = login_as(user).get("/ops/dictionary/").get_data(as_text=True)
    assert "新建" in page or "创建" in page
    assert "Create" not in page and "List (" not in page


def test_inline_edit_of_a_dictionary_row_needs_the_token_and_is_audited(app, db, login_as):
    item = db.session.scalar(select(DictItem).where(DictItem.type == "ethnicity", DictItem.code == "03"))
    operator = login_as("sysadmin01")
    listing = operator.get("/ops/dictionary/?flt0_0=ethnicity").get_data(as_text=True)
    cell = re.search(rf'<a[^>]*data-pk="{item.id}"[^>]*name="active"[^>]*>|<a[^>]*name="active"[^>]*data-pk="{item.id}"[^>]*>',
                     listing)
    assert cell and 'data-role="ops-inline"' in cell.group(0)
    token = re.search(r'data-csrf="([^"]+)"', cell.group(0)).group(1)
    assert operator.post("/ops/dictionary/ajax/update/", data={"list_form_pk": item.id, "active": ""}).status_code == 400
    resp = operator.post("/ops/dictionary/ajax/update/", data={"list_form_pk": item.id, "active": "",
                                                               "csrf_token": token})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(DictItem, item.id).active is False
    entry = db.session.scalar(select(AuditLog).where(AuditLog.entity == "dict_item", AuditLog.entity_id == str(item.id))
                              .order_by(AuditLog.id.desc()))
    assert entry.username == "sysadmin01" and entry.changes["active"] == [True, False]
    # a 停用 value is no longer offered by the person form
    assert f">{item.name}<" not in login_as("inst_admin").get("/people/add").get_data(as_text=True)
    resp = operator.post("/ops/dictionary/ajax/update/", data={"list_form_pk": item.id, "name": "",
                                                               "csrf_token": token})
    assert resp.status_code == 500 and db.session.get(DictItem, item.id).name  # an empty name is refused


def test_bad_input_never_answers_500(login_as):
    operator = login_as("sysadmin01")
    for url in ("/ops/dictionary/edit/?id=abc", "/ops/dictionary/details/?id=%00", "/ops/audit/details/?id=x",
                "/ops/audit/?flt0_5=not-a-range", "/ops/audit/?flt0_1=abc", "/ops/audit/?page=-3&sort=99",
                "/ops/import-job/?flt0_1=zz", "/ops/locked-account/edit/?id=1", "/ops/dictionary/export/pdf/",
                "/ops/region/edit/?id=999999999999999999999"):
        assert operator.get(url).status_code < 500, url
    for url, action in (("/ops/locked-account/", "unlock"), ("/ops/import-job/", "mark_failed"),
                        ("/ops/import-job/", "requeue")):
        resp = operator.post(url + "action/", data={"csrf_token": _token(operator, url), "action": action,
                                                    "rowid": ["abc", "99999999999999"]})
        assert resp.status_code == 302, (url, action)


def test_health_reports_an_unreachable_redis(app, tmp_path):
    from app.services import ops_console

    with app.app_context():
        rows = ops_console.health({"REDIS_URL": "redis://127.0.0.1:1/0", "UPLOAD_FOLDER": str(tmp_path)})
    status = {item: (ok, detail) for item, ok, detail in rows}
    assert status["数据库"][0] is True and status["Redis"][0] is False and "无法连接" in status["Redis"][1]
    assert "可用" in status["磁盘空间"][1]


def test_requeue_refuses_a_failed_job_whose_file_is_gone(app, db, login_as):
    from app.models.org import Institution

    inst = db.session.scalar(select(Institution).limit(1))
    job = ImportJob(institution_id=inst.id, set_key="basic", filename="旧.xlsx", status="失败", upload_path=None)
    db.session.add(job)
    db.session.commit()
    operator = login_as("sysadmin01")
    resp = operator.post("/ops/import-job/action/", data={"csrf_token": _token(operator, "/ops/import-job/"),
                                                          "action": "requeue", "rowid": [str(job.id)]})
    assert "原文件已不在，不能重新排队" in operator.get(resp.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ImportJob, job.id).status == "失败"


def test_a_refused_dictionary_entry_says_why_in_chinese_and_keeps_what_was_typed(db, login_as):
    operator = login_as("sysadmin01")
    count = db.session.scalar(select(func.count()).select_from(DictItem))
    page = operator.post("/ops/dictionary/new/", data={
        "csrf_token": _token(operator, "/ops/dictionary/new/"), "type": "ethnicity", "code": " 01 ",
        "name": "重复的民族", "order": "3"}).get_data(as_text=True)
    assert "未保存：请按各项下方的提示修改后重新提交。" in page
    assert "字典类型“民族”中已有代码“01”，代码不能重复" in page and 'value="重复的民族"' in page
    page = operator.post("/ops/dictionary/new/", data={
        "csrf_token": _token(operator, "/ops/dictionary/new/"), "type": "ethnicity", "code": "",
        "name": "", "order": "x"}).get_data(as_text=True)
    assert "该字段是必填字段" in page and "不是有效的整数" in page and "IntegrityError" not in page
    assert db.session.scalar(select(func.count()).select_from(DictItem)) == count
    resp = operator.post("/ops/dictionary/new/", data={
        "csrf_token": _token(operator, "/ops/dictionary/new/"), "type": "ethnicity", "code": "T1",
        "name": "新增民族", "order": "98", "active": "y"}, follow_redirects=True)
    text = resp.get_data(as_text=True)
    assert re.search(r"(创建记录|新增)成功", text), " ".join(re.sub(r"<[^>]+>", " ", text).split())[-1500:]
    assert "新增民族" in login_as("inst_admin").get("/people/add").get_data(as_text=True)
