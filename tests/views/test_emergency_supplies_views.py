"""应急物资 / 药械 through the pages (spec 5.5, 5.6): the six menu entries share one view family — the list with the
manual's searches, 上报 of several rows, the refusal of a key reported before (linked to its entry), warnings shown
then confirmed, 修改 counted, 删除, the Excel export, 可用天数 on the 存量 lists, another institution's entry 404."""
import datetime
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.models.emergency_supplies import SupplyEntry
from app.services import emergency_supplies as svc
from tests.conftest import csrf_token
from tests.services.test_emergency_supplies import TODAY, _user

PAGES = {("supply", "stock"): ("/supplies/stock", "物资资源存量上报", "存量日期", "存量"),
         ("supply", "estimate"): ("/supplies/estimate", "物资月估用量填报", "月份", "月估用量"),
         ("supply", "daily"): ("/supplies/daily", "物资日消耗上报", "消耗日期", "日消耗量"),
         ("drugdevice", "stock"): ("/drugdevices/stock", "药械存量上报", "存量日期", "存量"),
         ("drugdevice", "estimate"): ("/drugdevices/estimate", "药械月估用量填报", "月份", "月估用量"),
         ("drugdevice", "daily"): ("/drugdevices/daily", "药械日消耗上报", "消耗日期", "日消耗量")}
KINDS = list(PAGES)


def _key(report, day=TODAY):
    return f"{day:%Y-%m}" if report == "estimate" else f"{day:%Y-%m-%d}"


def _post(client, url, data, page):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page)})


def _rows(*rows):
    """Parallel lists as the form posts them."""
    data = {k: [] for k in ("row_kind", "item", "item_name", "quantity", "note")}
    for row in rows:
        for k in data:
            data[k].append(row.get(k, "item" if k == "row_kind" else ""))
    return data


def _codes(resource):
    return [i.code for i in svc.items(resource)]


def _entries(db, resource, report):
    db.session.expire_all()
    return db.session.scalars(select(SupplyEntry).where(SupplyEntry.resource == resource, SupplyEntry.report == report)
                              .order_by(SupplyEntry.id)).all()


@pytest.mark.parametrize("resource, report", KINDS)
def test_list_and_form_carry_the_manual_names(db, login_as, resource, report):
    base, name, date_label, quantity_label = PAGES[(resource, report)]
    client = login_as("inst_admin")
    assert client.get("/subsystem/1").status_code == 302  # 应急资源管理
    home = client.get("/").get_data(as_text=True)
    assert name in home and f"{base}/list/" in home
    page = client.get(f"{base}/list/").get_data(as_text=True)
    assert f"<h1 class=\"h3\">{name}</h1>" in page
    assert f'<label for="day_from">{date_label}</label>' in page and '<label for="name">名称</label>' in page
    assert '<label for="category">类别</label>' in page and f"<th>{quantity_label}</th>" in page
    for category in svc.categories(resource):
        assert f'<option value="{category}"' in page
    assert ("<th>可用天数</th>" in page) == (report == "stock")
    assert f'href="{base}/add"' in page and "没有符合条件的上报记录" in page
    form = client.get(f"{base}/add").get_data(as_text=True)
    assert f'<label class="control-label required" for="day">{date_label}</label>' in form
    assert "+ 添加一行" in form and "js/supplies_form.js" in form
    assert ("+ 添加药品" in form) == (resource == "drugdevice")


@pytest.mark.parametrize("resource, report", KINDS)
def test_report_two_rows_then_the_same_key_links_the_entry(db, login_as, resource, report):
    base = PAGES[(resource, report)][0]
    client = login_as("inst_admin")
    first, second = _codes(resource)[:2]
    resp = _post(client, f"{base}/add", {"day": _key(report), "confirmed": "1",
                                         **_rows({"item": first, "quantity": "10", "note": "仓库"},
                                                 {"item": second, "quantity": "3"})}, f"{base}/add")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"{base}/list/")
    entries = _entries(db, resource, report)
    assert [(e.item_code, int(e.quantity), e.note) for e in entries] == [(first, 10, "仓库"), (second, 3, None)]
    listed = client.get(f"{base}/list/").get_data(as_text=True)
    assert "共 2 条" in listed and entries[0].name in listed and "仓库" in listed

    again = _post(client, f"{base}/add", {"day": _key(report), **_rows({"item": "", "quantity": ""},
                                                                        {"item": first, "quantity": "7"})},
                  f"{base}/add")
    body = again.get_data(as_text=True)
    assert again.status_code == 200
    assert re.search(r'data-field="item-2">第 2 行：“[^”]+”\S+ \S+ 已上报过，请修改已有记录', body)
    assert f'href="{base}/edit/{entries[0].id}">修改已有记录</a>' in body
    assert 'value="7"' in body  # the row kept as typed
    assert len(_entries(db, resource, report)) == 2


def _prepare_warning(db, resource, report, code):
    """What makes a row of `report` warn: a stock below the consumption, a stock that fell, an estimate far off."""
    user = _user(db)
    if report == "daily":
        svc.report(user, resource, "stock", _key("stock"), [{"item": code, "quantity": "5"}], confirmed=True)
        return "50", "大于最近一次存量"
    if report == "stock":
        yesterday = _key("stock", TODAY - datetime.timedelta(days=1))
        svc.report(user, resource, "stock", yesterday, [{"item": code, "quantity": "100"}], confirmed=True)
        return "10", "其间上报的消耗只有"
    svc.report(user, resource, "daily", _key("daily"), [{"item": code, "quantity": "10"}], confirmed=True)
    return "1000", "相差 3 倍以上"


@pytest.mark.parametrize("resource, report", KINDS)
def test_warnings_are_shown_then_confirmed_and_kept(db, login_as, resource, report):
    base = PAGES[(resource, report)][0]
    code = _codes(resource)[0]
    quantity, words = _prepare_warning(db, resource, report, code)
    before = len(_entries(db, resource, report))
    client = login_as("inst_admin")
    data = {"day": _key(report), **_rows({"item": code, "quantity": quantity})}
    shown = _post(client, f"{base}/add", data, f"{base}/add").get_data(as_text=True)
    assert 'id="supply-warnings"' in shown and words in shown and 'class="text-warning supply-row-warning"' in shown
    assert 'name="confirmed" value="1"' in shown and "确认上报" in shown and "返回修改" in shown
    assert len(_entries(db, resource, report)) == before  # nothing saved yet
    done = _post(client, f"{base}/add", {**data, "confirmed": "1"}, f"{base}/add")
    assert done.status_code == 302
    entry = _entries(db, resource, report)[-1]
    assert entry.item_code == code and words in entry.warnings[0]
    assert words in client.get(f"{base}/list/").get_data(as_text=True)  # 提示 visible on the list


@pytest.mark.parametrize("resource, report", KINDS)
def test_edit_counts_changes_and_delete_removes(db, login_as, resource, report):
    base = PAGES[(resource, report)][0]
    entry, = svc.report(_user(db), resource, report, _key(report), [{"item": _codes(resource)[0], "quantity": "4"}],
                        confirmed=True)
    client = login_as("inst_admin")
    form = client.get(f"{base}/edit/{entry.id}").get_data(as_text=True)
    assert 'value="4"' in form and 'name="version"' in form
    resp = _post(client, f"{base}/edit/{entry.id}",
                 {"quantity": "6", "note": "盘点更正", "version": str(entry.version), "confirmed": "1"},
                 f"{base}/edit/{entry.id}")
    assert resp.status_code == 302
    db.session.expire_all()
    edited = db.session.get(SupplyEntry, entry.id)
    assert (int(edited.quantity), edited.note, edited.change_count) == (6, "盘点更正", 1)
    row = client.get(f"{base}/list/").get_data(as_text=True)
    assert f'<td class="supply-changes">1<br><small>{edited.changed_at:%Y-%m-%d %H:%M}</small>' in row
    shown = client.get(f"{base}/show/{entry.id}").get_data(as_text=True)
    assert "盘点更正" in shown and "修改次数" in shown and 'data-confirm="确定删除' in shown
    bad = _post(client, f"{base}/edit/{entry.id}", {"quantity": "-1", "version": str(edited.version)},
                f"{base}/edit/{entry.id}")
    assert bad.status_code == 200 and 'data-field="quantity">' in bad.get_data(as_text=True)
    gone = _post(client, f"{base}/delete/{entry.id}", {"version": str(edited.version)}, f"{base}/list/")
    assert gone.status_code == 302 and _entries(db, resource, report) == []


@pytest.mark.parametrize("resource, report", KINDS)
def test_export_holds_the_searched_rows(db, login_as, resource, report):
    base, name, date_label, quantity_label = PAGES[(resource, report)]
    first, second = _codes(resource)[:2]
    svc.report(_user(db), resource, report, _key(report),
               [{"item": first, "quantity": "12"}, {"item": second, "quantity": "8"}], confirmed=True)
    client = login_as("inst_admin")
    resp = client.get(f"{base}/export/")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.values)
    assert rows[0][:7] == (date_label, "类别", "名称", "规格型号", "计量单位", quantity_label, "备注")
    assert sorted(r[5] for r in rows[1:]) == [8, 12] and {r[0] for r in rows[1:]} == {_key(report)}
    one = svc.item(resource, first).name
    searched = list(load_workbook(io.BytesIO(client.get(f"{base}/export/?name={one}").data)).active.values)
    assert [r[2] for r in searched[1:]] == [one]


@pytest.mark.parametrize("resource, report", KINDS)
def test_another_institution_gets_404(db, login_as, resource, report):
    base = PAGES[(resource, report)][0]
    entry, = svc.report(_user(db), resource, report, _key(report), [{"item": _codes(resource)[0], "quantity": "4"}],
                        confirmed=True)
    other = login_as("inst2_admin")
    assert other.get(f"{base}/show/{entry.id}").status_code == 404
    assert other.get(f"{base}/edit/{entry.id}").status_code == 404
    assert _post(other, f"{base}/edit/{entry.id}", {"quantity": "1"}, f"{base}/list/").status_code == 404
    assert _post(other, f"{base}/delete/{entry.id}", {}, f"{base}/list/").status_code == 404
    assert "没有符合条件的上报记录" in other.get(f"{base}/list/").get_data(as_text=True)
    db.session.expire_all()
    assert int(db.session.get(SupplyEntry, entry.id).quantity) == 4


def test_an_entry_of_another_page_is_not_reached_through_this_one(db, login_as):
    entry, = svc.report(_user(db), "supply", "stock", _key("stock"), [{"item": _codes("supply")[0], "quantity": "4"}])
    client = login_as("inst_admin")
    assert client.get(f"/supplies/daily/show/{entry.id}").status_code == 404
    assert client.get(f"/drugdevices/stock/edit/{entry.id}").status_code == 404


@pytest.mark.parametrize("resource", ["supply", "drugdevice"])
def test_days_of_supply_on_the_stock_list(db, login_as, resource):
    user = _user(db)
    low, none = _codes(resource)[:2]
    for back in range(1, 4):  # 10 a day for three days
        day = _key("daily", TODAY - datetime.timedelta(days=back))
        svc.report(user, resource, "daily", day, [{"item": low, "quantity": "10"}], confirmed=True)
    svc.report(user, resource, "stock", _key("stock"),
               [{"item": low, "quantity": "30"}, {"item": none, "quantity": "500"}], confirmed=True)
    client = login_as("inst_admin")
    page = client.get(PAGES[(resource, "stock")][0] + "/list/").get_data(as_text=True)
    rows = {m.group(1): m.group(0) for m in re.finditer(
        r'<td class="supply-name">([^<]+)</td>.*?<td class="supply-days[^"]*"[^>]*>.*?</td>', page, re.S)}
    low_row, none_row = rows[svc.item(resource, low).name], rows[svc.item(resource, none).name]
    assert 'class="supply-days danger text-danger low-days"' in low_row and "<strong>3</strong>" in low_row
    assert re.search(r'<td class="supply-days">—</td>', none_row)
    assert svc.days_of_supply(user.institution_id, resource, [low, none]) == {low: 3, none: None}


def test_drug_rows_of_drugdevice_go_through_the_type_ahead(db, login_as):
    from app.models.emergency_drugs import DrugItem

    drug = db.session.scalar(select(DrugItem).where(DrugItem.name == "阿莫西林").limit(1))
    client = login_as("inst_admin")
    found = client.get("/drugs/search/?q=amxl")
    assert found.status_code == 200 and any(d["code"] == drug.code for d in found.get_json()["items"])
    base = "/drugdevices/stock"
    resp = _post(client, f"{base}/add", {"day": _key("stock"), "confirmed": "1",
                                         **_rows({"row_kind": "drug", "item": drug.code, "item_name": "阿莫西林",
                                                  "quantity": "20"},
                                                 {"item": _codes("drugdevice")[0], "quantity": "2"})}, f"{base}/add")
    assert resp.status_code == 302
    assert [(e.category, e.name) for e in _entries(db, "drugdevice", "stock")][0] == ("药品", "阿莫西林")
    dup = _post(client, f"{base}/add", {"day": _key("stock", TODAY - datetime.timedelta(days=1)),
                                        **_rows({"row_kind": "drug", "item": drug.code, "quantity": "1"},
                                                {"row_kind": "drug", "item": drug.code, "quantity": "2"})},
                f"{base}/add").get_data(as_text=True)
    assert "与第 1 行重复" in dup and 'class="supply-row drug-row"' in dup
    assert db.session.scalar(select(func.count()).select_from(SupplyEntry)) == 2
