"""机构药品上报 (spec 5.3) in the report engine: rows of dictionary drugs with 库存数量, every problem at once named by
its row, the dictionary entry's snapshot kept on the line, 上报 → read-only, 复制上次上报, the export's rows."""
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.domain.errors import DomainError, ValidationFailed
from app.models.emergency_drugs import DrugItem
from app.models.emergency_reports import EmergencyReport
from app.services import emergency_reports as svc
from tests.services.test_emergency_reports import TODAY, _user

AMOXICILLIN, PENICILLIN = "YP0004", "YP0001"


def drug(db, code=None, name=None):
    query = select(DrugItem).order_by(DrugItem.code).limit(1)
    query = query.where(DrugItem.code == code) if code else query.where(DrugItem.name == name)
    return db.session.scalar(query)


def three_rows(db):
    """阿莫西林 胶囊, 青霉素 80万单位, 布洛芬 (its first entry): 120, 0, 35."""
    ibuprofen = drug(db, name="布洛芬")
    return [{"drug_code": AMOXICILLIN, "name": "阿莫西林", "quantity": "120"},
            {"drug_code": PENICILLIN, "name": "青霉素", "quantity": "0"},
            {"drug_code": ibuprofen.code, "name": "布洛芬", "quantity": "35"}]


def test_save_three_drugs_with_their_snapshots(db):
    report = svc.save(_user(db, "inst_admin"), "drug", three_rows(db), TODAY, note="月底盘点")
    db.session.expire_all()
    report = db.session.get(EmergencyReport, report.id)
    assert report.kind == "drug" and report.status == svc.DRAFT and report.note == "月底盘点"
    assert svc.values_of(report) == {AMOXICILLIN: 120, PENICILLIN: 0, drug(db, name="布洛芬").code: 35}
    amoxicillin = next(line for line in report.lines if line.item_code == AMOXICILLIN)
    assert amoxicillin.detail == {"name": "阿莫西林", "dosage_form": "胶囊", "spec": "0.25g", "unit": "粒"}


def test_every_problem_at_once_named_by_its_row(db):
    rows = [{"drug_code": AMOXICILLIN, "name": "阿莫西林", "quantity": "-3"},
            {"drug_code": "", "name": "神仙水", "quantity": "10"},
            {"drug_code": PENICILLIN, "name": "青霉素", "quantity": "1.5"},
            {"drug_code": AMOXICILLIN, "name": "阿莫西林", "quantity": "8"},
            {"drug_code": "", "name": "", "quantity": ""},  # a blank row is left out, its number kept
            {"drug_code": "NOPE", "name": "", "quantity": ""}]
    with pytest.raises(ValidationFailed) as refused:
        svc.save(_user(db, "inst_admin"), "drug", rows, TODAY)
    errors = refused.value
    assert errors.of("quantity-1") == ["第 1 行：库存数量应为不小于 0 的整数（填写的是“-3”）"]
    assert errors.of("drug-2") == ["第 2 行：字典中暂无该药品“神仙水”"]
    assert errors.of("quantity-3") == ["第 3 行：库存数量应为不小于 0 的整数（填写的是“1.5”）"]
    same = "第 1 行与第 4 行是同一药品“阿莫西林（胶囊 0.25g）”，每种药品只填一行"
    assert errors.of("drug-1") == [same] and errors.of("drug-4") == [same]
    assert errors.of("drug-5") == [] and errors.of("quantity-5") == []
    assert errors.of("drug-6") == ["第 6 行：字典中暂无该药品“NOPE”"]
    assert errors.of("quantity-6") == ["第 6 行：请填写库存数量"]
    assert db.session.scalar(select(EmergencyReport)) is None


def test_no_rows_and_an_inactive_drug_are_refused(db):
    user = _user(db, "inst_admin")
    with pytest.raises(ValidationFailed) as refused:
        svc.save(user, "drug", [{"drug_code": "", "name": "", "quantity": ""}], TODAY)
    assert refused.value.of("rows") == ["请至少填写一种药品"]
    drug(db, "YP0063").active = False  # 阿司匹林, the only entry of that name
    db.session.commit()
    with pytest.raises(ValidationFailed) as refused:
        svc.save(user, "drug", [{"drug_code": "YP0063", "name": "阿司匹林", "quantity": "5"}], TODAY)
    assert refused.value.of("drug-1") == ["第 1 行：字典中暂无该药品“阿司匹林”"]


def test_a_dictionary_name_typed_but_not_picked_asks_to_pick_it(db):
    with pytest.raises(ValidationFailed) as refused:
        svc.save(_user(db, "inst_admin"), "drug", [{"drug_code": "", "name": "阿莫西林", "quantity": "5"}], TODAY)
    assert refused.value.of("drug-1") == ["第 1 行：请从输入框下方的列表中选择“阿莫西林”的剂型和规格"]


def test_the_snapshot_stays_when_the_dictionary_entry_is_renamed(db):
    report = svc.save(_user(db, "inst_admin"), "drug", three_rows(db), TODAY)
    entry = drug(db, AMOXICILLIN)
    entry.name, entry.spec = "阿莫西林（新）", "0.5g"
    db.session.commit()
    db.session.expire_all()
    rows = {r["drug_code"]: r for r in svc.rows_of(db.session.get(EmergencyReport, report.id))}
    assert rows[AMOXICILLIN] == {"drug_code": AMOXICILLIN, "quantity": "120", "name": "阿莫西林",
                                 "dosage_form": "胶囊", "spec": "0.25g", "unit": "粒"}


def test_edit_changes_lines_then_report_makes_it_read_only(db):
    user = _user(db, "inst_admin")
    report = svc.save(user, "drug", three_rows(db), TODAY)
    rows = three_rows(db)[:2]
    rows[0]["quantity"] = "99"
    report = svc.save(user, "drug", rows, TODAY, pk=report.id, version=report.version)
    assert svc.values_of(report) == {AMOXICILLIN: 99, PENICILLIN: 0}
    report = svc.submit(user, report.id, version=report.version)
    assert report.status == svc.REPORTED
    with pytest.raises(DomainError, match="已上报，不能修改"):
        svc.save(user, "drug", three_rows(db), TODAY, pk=report.id)
    with pytest.raises(DomainError, match="已上报，不能修改或删除"):
        svc.delete(user, report.id)


def test_report_later_does_not_recheck_the_dictionary(db):
    user = _user(db, "inst_admin")
    report = svc.save(user, "drug", three_rows(db), TODAY)
    drug(db, PENICILLIN).active = False  # 停用 after the save: the saved rows were checked then
    db.session.commit()
    assert svc.submit(user, report.id, version=report.version).status == svc.REPORTED


def test_copy_last_gives_the_rows_of_the_latest_reported_one(db):
    user = _user(db, "inst_admin")
    with pytest.raises(DomainError, match="还没有已上报"):
        svc.copy_last(user, "drug")
    svc.save(user, "drug", three_rows(db), TODAY, note="上次", report=True)
    svc.save(user, "drug", three_rows(db)[:1], TODAY)  # a draft is not copied
    copied = svc.copy_last(user, "drug")
    assert copied["note"] == "上次"
    assert [(r["drug_code"], r["name"], r["quantity"], r["unit"]) for r in copied["rows"]] == [
        (AMOXICILLIN, "阿莫西林", "120", "粒"), (PENICILLIN, "青霉素", "0", "支"),
        (drug(db, name="布洛芬").code, "布洛芬", "35", drug(db, name="布洛芬").unit)]


def test_export_writes_one_row_per_drug_line(db):
    user = _user(db, "inst_admin")
    svc.save(user, "drug", three_rows(db), TODAY, report=True)
    rows = list(load_workbook(io.BytesIO(svc.export(user, "drug"))).active.iter_rows(values_only=True))
    assert rows[0] == ("上报时间", "上报状态", "药品编码", "名称", "剂型", "规格", "单位", "库存数量", "填报说明", "上报人",
                       "上报时刻")
    assert len(rows) == 4
    assert rows[1][:8] == (TODAY.isoformat(), "已上报", AMOXICILLIN, "阿莫西林", "胶囊", "0.25g", "粒", 120)
    assert rows[1][9] == "inst_admin"
    assert len(list(load_workbook(io.BytesIO(svc.export(_user(db, "inst2_admin"), "drug"))).active.iter_rows())) == 1
