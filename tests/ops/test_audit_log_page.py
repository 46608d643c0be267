"""操作日志 for owners and regional users (issue 17): a record's 修改记录, scoped to the caller, sensitive values
masked without 查看完整证件号."""
import re

from sqlalchemy import select

from app.models.audit import AuditLog
from app.models.org import Department, Institution
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE


def _links(page, ids):
    return [i for i in ids if re.search(rf"/auditlogview/show/{i}(?!\d)", page)]


def _dept(db, code, name):
    inst = db.session.scalar(select(Institution).where(Institution.code == code))
    dept = Department(institution_id=inst.id, name=name, category="科室(部门)", standard_code="A03")
    db.session.add(dept)
    db.session.commit()
    dept.name = name + "（改）"
    db.session.commit()
    return dept


def test_a_records_history_lists_its_entries_only_and_only_in_scope(app, db, login_as):
    own = _dept(db, JIANGXIA_CODE, "历史内科")
    foreign = _dept(db, WUCHANG_CODE, "外院外科")
    other = _dept(db, JIANGXIA_CODE, "另一科室")
    owner = login_as("inst_admin")
    entry = db.session.scalar(select(AuditLog.id).where(AuditLog.entity == "department",
                                                        AuditLog.entity_id == str(own.id)))
    show = owner.get(f"/auditlogview/show/{entry}").get_data(as_text=True)
    assert "修改记录" in show and f"/auditlogview/record/department/{own.id}" in show
    resp = owner.get(f"/auditlogview/record/department/{own.id}")
    assert resp.status_code == 302
    page = owner.get(resp.headers["Location"]).get_data(as_text=True)
    assert page.count("新增") >= 1 and page.count("修改") >= 1
    rows = db.session.scalars(select(AuditLog.id).where(AuditLog.entity == "department",
                                                        AuditLog.entity_id == str(own.id))).all()
    assert len(rows) == 2 and _links(page, rows) == rows
    other_rows = db.session.scalars(select(AuditLog.id).where(AuditLog.entity_id == str(other.id),
                                                              AuditLog.entity == "department")).all()
    assert other_rows and _links(page, other_rows) == []
    # a foreign institution's record: its history is empty for this owner, full for its own
    page = owner.get(owner.get(f"/auditlogview/record/department/{foreign.id}").headers["Location"]).get_data(
        as_text=True)
    foreign_rows = db.session.scalars(select(AuditLog.id).where(AuditLog.entity == "department",
                                                                AuditLog.entity_id == str(foreign.id))).all()
    assert foreign_rows and _links(page, foreign_rows) == []
    theirs = login_as("inst2_admin")
    page = theirs.get(theirs.get(f"/auditlogview/record/department/{foreign.id}").headers["Location"]).get_data(
        as_text=True)
    assert _links(page, foreign_rows) == foreign_rows
