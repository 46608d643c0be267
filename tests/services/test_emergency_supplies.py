"""应急物资 / 药械 entries (spec 5.5, 5.6): the six kinds through one service, one entry per key, warnings before
saving, 修改次数, scoping, 可用天数."""
import datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.domain.errors import DomainError, ValidationFailed
from app.models.emergency_supplies import SupplyEntry, SupplyItem
from app.models.security import User
from app.services import emergency_supplies as svc

TODAY = datetime.date.today()
DAY = f"{TODAY:%Y-%m-%d}"
KINDS = [(r, k) for r in ("supply", "drugdevice") for k in ("stock", "estimate", "daily")]


def _user(db, username="inst_admin"):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def _key(report, day=TODAY):
    return f"{day:%Y-%m}" if report == "estimate" else f"{day:%Y-%m-%d}"


def _code(db, resource, n=0):
    return svc.items(resource)[n].code


def test_setup_seeds_both_catalogues(db):
    assert {i.category for i in svc.items("supply")} == {"防护用品", "消杀用品", "检测试剂", "医用耗材", "其他"}
    assert "医用防护服" in [i.name for i in svc.items("supply")]
    assert svc.items("drugdevice") and all(i.category != "药品" for i in svc.items("drugdevice"))
    assert svc.load_items() == 0  # idempotent
    assert db.session.scalar(select(SupplyItem.decimals).where(SupplyItem.name == "含氯消毒剂")) is True


@pytest.mark.parametrize("resource, report", KINDS)
def test_each_kind_reports_rows_in_one_form(db, resource, report):
    user = _user(db)
    rows = [{"item": _code(db, resource, 0), "quantity": "10"}, {"item": _code(db, resource, 1), "quantity": "3"}]
    entries = svc.report(user, resource, report, _key(report), rows, confirmed=True)
    assert [(e.name, e.quantity) for e in entries] == [(svc.items(resource)[0].name, Decimal(10)),
                                                       (svc.items(resource)[1].name, Decimal(3))]
    listed, total = svc.search(user, resource, report)
    assert total == 2 and {e.report for e in listed} == {report} and {e.resource for e in listed} == {resource}
    expected_day = TODAY.replace(day=1) if report == "estimate" else TODAY
    assert {e.day for e in listed} == {expected_day}


def test_drugs_of_the_dictionary_are_drug_device_items(db):
    from app.models.emergency_drugs import DrugItem

    drug = db.session.scalar(select(DrugItem).where(DrugItem.name == "阿莫西林").limit(1))
    entry, = svc.report(_user(db), "drugdevice", "stock", DAY, [{"item": f"drug:{drug.code}", "quantity": "20"}])
    assert (entry.category, entry.name, entry.unit) == ("药品", "阿莫西林", drug.unit)
    with pytest.raises(ValidationFailed) as refused:  # drugs are not 物资
        svc.report(_user(db), "supply", "stock", DAY, [{"item": f"drug:{drug.code}", "quantity": "1"}])
    assert refused.value.of("item-1") == ["第 1 行：目录中没有该项目，或已停用"]


def test_every_problem_of_a_form_at_once_and_nothing_saved(db):
    a, b = _code(db, "supply", 0), _code(db, "supply", 1)
    rows = [{"item": a, "quantity": "-1"}, {"item": a, "quantity": "2"}, {"item": b, "quantity": "2.5"},
            {"item": "", "quantity": "4"}, {"item": "", "quantity": ""}]
    with pytest.raises(ValidationFailed) as refused:
        svc.report(_user(db), "supply", "stock", "2026/01/01", rows)
    e = refused.value
    assert e.of("day") == ["请填写存量日期（格式 2026-01-31）"]
    assert e.of("quantity-1") == ["第 1 行：存量不能小于 0"]
    assert e.of("item-2") == ["第 2 行：“医用防护口罩”与第 1 行重复，同一项目在一张表中只能填一次"]
    assert e.of("quantity-3") == ["第 3 行：存量须为整数（该物资的计量单位不可拆分）"]
    assert e.of("item-4") == ["第 4 行：请从目录中选择物资"]
    assert e.of("item-5") == []  # a blank row is skipped
    assert db.session.scalar(select(func.count()).select_from(SupplyEntry)) == 0
    with pytest.raises(ValidationFailed) as empty:
        svc.report(_user(db), "supply", "stock", DAY, [{"item": "", "quantity": ""}])
    assert empty.value.of("item-1") == ["请至少填写一行"]


def test_one_entry_per_item_and_day_the_second_is_an_edit(db):
    user = _user(db)
    code = _code(db, "supply")
    first, = svc.report(user, "supply", "stock", DAY, [{"item": code, "quantity": "100"}])
    with pytest.raises(ValidationFailed) as refused:
        svc.report(user, "supply", "stock", DAY, [{"item": code, "quantity": "90"}])
    assert refused.value.of("item-1") == [f"第 1 行：“医用防护口罩”存量日期 {DAY} 已上报过，请修改已有记录，不要重复上报"]
    yesterday = f"{TODAY - datetime.timedelta(days=1):%Y-%m-%d}"
    svc.report(user, "supply", "stock", yesterday, [{"item": code, "quantity": "100"}])  # another day is new
    other = svc.report(_user(db, "inst2_admin"), "supply", "stock", DAY, [{"item": code, "quantity": "5"}])
    assert other  # another institution's key is its own
    with pytest.raises(svc.NeedsConfirmation):  # 100 yesterday, 95 today, no consumption reported: asked first
        svc.update(user, first.id, "95", "盘点后更正", version=first.version)
    edited = svc.update(user, first.id, "95", "盘点后更正", version=first.version, confirmed=True)
    assert (edited.quantity, edited.change_count, edited.changed_by_id) == (Decimal(95), 1, user.id)
    assert edited.warnings == [f"存量比 {yesterday} 的 100个 减少了 5个，其间上报的消耗只有 0个，请核对"]
    assert edited.changed_at is not None and edited.note == "盘点后更正"


def test_existing_entry_is_offered_for_editing(db):
    user = _user(db)
    code = _code(db, "supply")
    first, = svc.report(user, "supply", "daily", DAY, [{"item": code, "quantity": "3"}])
    with pytest.raises(ValidationFailed) as refused:
        svc.check(user, "supply", "daily", DAY, [{"item": _code(db, "supply", 1), "quantity": "1"},
                                                  {"item": code, "quantity": "4"}])
    assert refused.value.existing == {2: first.id}  # the form links row 2 to the entry to edit
    assert refused.value.of("item-1") == []


def test_warnings_are_shown_before_saving_and_kept(db):
    user = _user(db)
    code = _code(db, "supply")
    svc.report(user, "supply", "stock", DAY, [{"item": code, "quantity": "100"}])
    with pytest.raises(svc.NeedsConfirmation) as asked:
        svc.report(user, "supply", "daily", DAY, [{"item": code, "quantity": "120"}])
    assert asked.value.checked.warnings == {1: [f"日消耗量 120个 大于最近一次存量 100个（{DAY}），请核对"]}
    assert db.session.scalar(select(func.count()).where(SupplyEntry.report == "daily")) == 0
    entry, = svc.report(user, "supply", "daily", DAY, [{"item": code, "quantity": "120"}], confirmed=True)
    assert entry.warnings == [f"日消耗量 120个 大于最近一次存量 100个（{DAY}），请核对"]
    quiet, = svc.report(user, "supply", "daily", DAY, [{"item": _code(db, "supply", 1), "quantity": "1"}])
    assert quiet.warnings is None  # no stock reported: nothing to compare with


def test_estimate_far_from_consumption_and_stock_falling_warn(db):
    user = _user(db)
    code = _code(db, "supply")
    for back in range(1, 11):
        day = f"{TODAY - datetime.timedelta(days=back):%Y-%m-%d}"
        svc.report(user, "supply", "daily", day, [{"item": code, "quantity": "10"}], confirmed=True)
    with pytest.raises(svc.NeedsConfirmation) as asked:
        svc.report(user, "supply", "estimate", f"{TODAY:%Y-%m}", [{"item": code, "quantity": "1000"}])
    assert asked.value.checked.warnings[1] == ["月估用量 1000个 与近 30 日消耗 100个 相差 3 倍以上，请核对"]
    svc.report(user, "supply", "estimate", f"{TODAY:%Y-%m}", [{"item": _code(db, "supply", 1), "quantity": "5"}])
    before = f"{TODAY - datetime.timedelta(days=5):%Y-%m-%d}"
    svc.report(user, "supply", "stock", before, [{"item": code, "quantity": "200"}], confirmed=True)
    with pytest.raises(svc.NeedsConfirmation) as fell:  # 200 → 100 with 40 used on the 4 days reported since
        svc.report(user, "supply", "stock", DAY, [{"item": code, "quantity": "100"}])
    assert fell.value.checked.warnings[1] == [
        f"存量比 {before} 的 200个 减少了 100个，其间上报的消耗只有 40个，请核对"]


def test_update_and_delete_are_scoped_and_checked(db):
    user = _user(db)
    entry, = svc.report(user, "supply", "stock", DAY, [{"item": _code(db, "supply"), "quantity": "1"}])
    with pytest.raises(DomainError, match="不存在"):
        svc.update(_user(db, "inst2_admin"), entry.id, "5")
    with pytest.raises(DomainError, match="不存在"):
        svc.get(_user(db, "inst2_admin"), entry.id)
    assert svc.get(_user(db, "region_admin"), entry.id).id == entry.id  # the region reads its institutions
    with pytest.raises(DomainError):
        svc.update(_user(db, "region_admin"), entry.id, "5")  # but never writes them
    with pytest.raises(ValidationFailed) as refused:
        svc.update(user, entry.id, "x")
    assert refused.value.of("quantity") == ["存量须为数字"]
    svc.delete(user, entry.id, version=entry.version)
    assert db.session.get(SupplyEntry, entry.id) is None


def test_search_by_name_category_and_dates(db):
    user = _user(db)
    items = svc.items("supply")
    disinfectant = next(i for i in items if i.name == "含氯消毒剂")
    svc.report(user, "supply", "stock", DAY, [{"item": items[0].code, "quantity": "1"},
                                              {"item": disinfectant.code, "quantity": "2.5"}])
    assert [e.name for e in svc.search(user, "supply", "stock", name="消毒")[0]] == ["含氯消毒剂"]
    assert [e.quantity for e in svc.search(user, "supply", "stock", category="消杀用品")[0]] == [Decimal("2.50")]
    assert svc.search(user, "supply", "stock", day_from=TODAY + datetime.timedelta(days=1))[1] == 0
    assert svc.search(_user(db, "inst2_admin"), "supply", "stock")[1] == 0
    assert svc.search(_user(db, "region_admin"), "supply", "stock")[1] == 2


def test_days_of_supply_on_fixture_data(db):
    user = _user(db)
    a, b, c = (_code(db, "supply", n) for n in range(3))
    svc.report(user, "supply", "stock", DAY, [{"item": a, "quantity": "70"}, {"item": b, "quantity": "10"},
                                              {"item": c, "quantity": "5"}], confirmed=True)
    for back in range(8):
        day = f"{TODAY - datetime.timedelta(days=back):%Y-%m-%d}"
        svc.report(user, "supply", "daily", day, [{"item": a, "quantity": "10" if back < 7 else "500"},
                                                  {"item": b, "quantity": "3"}], confirmed=True)
    days = svc.days_of_supply(user.institution_id, "supply", [a, b, c])
    assert days == {a: Decimal("7.0"), b: Decimal("3.3"), c: None}  # c: no consumption → "—", not infinite
