"""操作日志 shows Chinese names, never table or column names: every audited table and column has one
(services/audit_labels.py), and the list and the detail page use them."""
import re

from flask_appbuilder import Model
from sqlalchemy import select

from app.models.audit import AuditLog
from app.models.org import Institution
from app.services import audit, departments
from app.services.audit import IGNORED_TABLES
from app.services.audit_labels import entity_label, field_label
from app.services.seed import JIANGXIA_CODE

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_audited_table_and_column_has_a_chinese_name(app):
    missing = []
    for mapper in Model.registry.mappers:
        table = mapper.class_.__tablename__
        if table in IGNORED_TABLES:
            continue
        if not CJK.search(entity_label(table)):
            missing.append(table)
        # what _field_changes records: every column, and the collections an update changes
        keys = [a.key for a in mapper.column_attrs] + [r.key for r in mapper.relationships if r.uselist]
        missing += [f"{table}.{key}" for key in keys if not CJK.search(field_label(table, key) or "")]
    assert missing == []


def test_the_log_pages_name_entities_and_fields_in_chinese(db, login_as):
    inst = db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))
    with audit.acting_as("测试脚本"):
        dept = departments.create(inst.id, name="内科", category="科室(部门)", standard_code="A03")
        inst.phone = "027-87654321"
        db.session.commit()
    c = login_as("inst_admin")
    listing = c.get("/auditlogview/list/").get_data(as_text=True)
    assert "部门" in listing and "数据类别" in listing
    assert not re.search(r">\s*(department|institution)\s*<", listing)
    row = db.session.scalar(select(AuditLog.id).where(AuditLog.entity == "department",
                                                      AuditLog.entity_id == str(dept.id)))
    page = c.get(f"/auditlogview/show/{row}").get_data(as_text=True)
    for name in ("科室名称", "科室(部门)类别", "科室标准名称", "所属机构"):
        assert f"<td>{name}</td>" in page
    for column in ("standard_code", "institution_id", "category", "department"):
        assert f"<td>{column}</td>" not in page and f">{column}<" not in page
