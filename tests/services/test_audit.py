"""Audit rows from the one session-event mechanism: services, views and the CLI alike."""
from sqlalchemy import select

from app.models.audit import AuditLog
from app.models.dictionary import DictItem
from app.models.org import Institution
from app.services import audit
from tests import factories
from tests.conftest import csrf_token


def _last(db, entity):
    db.session.expire_all()
    return db.session.scalar(select(AuditLog).where(AuditLog.entity == entity).order_by(AuditLog.id.desc()).limit(1))


def test_create_update_delete_are_recorded_with_actor(db):
    with audit.acting_as("测试脚本", "10.9.8.7"):
        inst = factories.institution(name="审计测试卫生院")
        row = _last(db, "institution")
        assert (row.action, row.username, row.client_addr) == ("create", "测试脚本", "10.9.8.7")
        assert row.entity_id == str(inst.id) and row.institution_id == inst.id
        assert row.changes["name"] == [None, "审计测试卫生院"]

        inst.name = "审计测试卫生院（改）"
        db.session.commit()
        row = _last(db, "institution")
        assert row.action == "update"
        assert row.changes == {"name": ["审计测试卫生院", "审计测试卫生院（改）"]}

        db.session.delete(inst)
        db.session.commit()
        row = _last(db, "institution")
        assert row.action == "delete" and row.changes["name"][0] == "审计测试卫生院（改）"


def test_passwords_are_masked(db):
    factories.account("audit_user1", institution=None)
    row = _last(db, "ab_user")
    assert row.changes["password"] == [None, "***"]
    assert "scrypt" not in str(row.changes)


def test_change_through_a_view_records_user_and_address(app, db, login_as):
    c = login_as("sysadmin01")
    c.environ_base["REMOTE_ADDR"] = "10.20.30.40"
    item = db.session.scalar(select(DictItem).where(DictItem.type == "sex", DictItem.code == "9"))
    token = csrf_token(c, f"/dictitemview/edit/{item.id}")
    resp = c.post(f"/dictitemview/edit/{item.id}", data={"csrf_token": token, "name": "未说明的性别", "order": 99,
                                                         "active": "y"})
    assert resp.status_code == 302
    row = _last(db, "dict_item")
    assert row.username == "sysadmin01" and row.client_addr == "10.20.30.40"
    assert row.changes["order"][1] == 99


def test_password_change_is_audited(app, db, login_as):
    c = login_as("inst_staff")
    token = csrf_token(c, "/account/password/")
    c.post("/account/password/", data={"csrf_token": token, "old_password": "Demo@Hb-2580",
                                        "password": "Hb#2580wq", "confirm": "Hb#2580wq"})
    row = _last(db, "ab_user")
    assert row.username == "inst_staff" and row.changes["password"] == ["***", "***"]
    assert row.institution_id is not None


def test_institution_reads_only_its_own_trail(db, login_as):
    wuchang = db.session.scalar(select(Institution).where(Institution.code == "124201064201060209"))
    with audit.acting_as("测试脚本"):
        wuchang.kind = "社区卫生服务中心"
        wuchang.name = wuchang.name + "A"
        db.session.commit()
    own = login_as("inst2_admin").get("/auditlogview/list/").get_data(as_text=True)
    other = login_as("inst_admin").get("/auditlogview/list/").get_data(as_text=True)
    assert "测试脚本" in own and "测试脚本" not in other
