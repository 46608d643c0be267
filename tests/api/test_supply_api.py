"""应急物资 / 药械 entries over the API (issue 17): scope, the form's 422 messages, warnings, 409, delete."""
import datetime

from sqlalchemy import func, select

from app.models.emergency_supplies import SupplyEntry
from app.models.security import User
from app.services import emergency_supplies as svc
from tests.api.test_rest_api import _api

TODAY = datetime.date.today()
DAY = f"{TODAY:%Y-%m-%d}"


def _user(db, name):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == name))


def _code(n=0):
    return svc.items("supply")[n].code


def test_post_a_days_rows_then_list_get_put_delete(app, db):
    c = _api(app, "inst_admin")
    resp = c.post("/api/v1/supply_daily/", json={"day": DAY, "rows": [{"item": _code(0), "quantity": "3"},
                                                                       {"item": _code(1), "quantity": 2}]})
    body = resp.get_json()
    assert resp.status_code == 201, body
    assert [(r["item_code"], float(r["quantity"])) for r in body["result"]] == [(_code(0), 3), (_code(1), 2)]
    first = body["ids"][0]
    listed = c.get(f"/api/v1/supply_daily/?day_from={DAY}&day_to={DAY}").get_json()
    assert listed["count"] == 2 and listed["ids"] == body["ids"]
    later = (TODAY + datetime.timedelta(days=1)).isoformat()
    assert c.get(f"/api/v1/supply_daily/?day_from={later}").get_json()["count"] == 0
    assert c.get("/api/v1/supply_stock/").get_json()["count"] == 0  # another report, another API
    item = c.get(f"/api/v1/supply_daily/{first}").get_json()
    version = item["result"]["version"]
    resp = c.put(f"/api/v1/supply_daily/{first}", json={"quantity": "4", "note": "补录", "version": version})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["result"]["change_count"] == 1
    stale = c.put(f"/api/v1/supply_daily/{first}", json={"quantity": "5", "version": version})
    assert stale.status_code == 409 and "修改，请刷新后重新编辑" in stale.get_json()["message"]
    assert c.delete(f"/api/v1/supply_daily/{first}?version={version}").status_code == 409
    resp = c.delete(f"/api/v1/supply_daily/{first}?version={version + 1}")
    assert resp.status_code == 200, resp.get_json()
    assert db.session.get(SupplyEntry, first) is None


def test_a_key_reported_before_and_bad_rows_are_422_in_chinese(app, db):
    c = _api(app, "inst_admin")
    assert c.post("/api/v1/supply_stock/", json={"day": DAY, "rows": [{"item": _code(), "quantity": "100"}]}) \
        .status_code == 201
    resp = c.post("/api/v1/supply_stock/", json={"day": DAY, "rows": [{"item": _code(), "quantity": "90"}]})
    body = resp.get_json()
    assert resp.status_code == 422
    assert body["errors"]["item-1"] == [f"第 1 行：“医用防护口罩”存量日期 {DAY} 已上报过，请修改已有记录，不要重复上报"]
    assert body["existing"]["1"] == db.session.scalar(select(SupplyEntry.id))
    resp = c.post("/api/v1/supply_stock/", json={"day": "明天", "rows": [{"item": "nope", "quantity": "-1"}]})
    errors = resp.get_json()["errors"]
    assert resp.status_code == 422 and errors["day"] and errors["item-1"] == ["第 1 行：目录中没有该项目，或已停用"]
    assert db.session.scalar(select(func.count()).select_from(SupplyEntry)) == 1


def test_warnings_are_422_until_confirmed(app, db):
    c = _api(app, "inst_admin")
    c.post("/api/v1/supply_stock/", json={"day": DAY, "rows": [{"item": _code(), "quantity": "100"}]})
    form = {"day": DAY, "rows": [{"item": _code(), "quantity": "120"}]}
    resp = c.post("/api/v1/supply_daily/", json=form)
    body = resp.get_json()
    assert resp.status_code == 422 and "confirmed" in body["message"]
    assert body["warnings"] == {"1": [f"日消耗量 120个 大于最近一次存量 100个（{DAY}），请核对"]}
    assert db.session.scalar(select(func.count()).where(SupplyEntry.report == "daily")) == 0
    resp = c.post("/api/v1/supply_daily/", json={**form, "confirmed": True})
    assert resp.status_code == 201 and resp.get_json()["result"][0]["warnings"] == body["warnings"]["1"]


def test_foreign_entries_are_404_and_never_listed(app, db):
    other, = svc.report(_user(db, "inst2_admin"), "supply", "daily", DAY, [{"item": _code(), "quantity": "5"}])
    c = _api(app, "inst_admin")
    assert c.get(f"/api/v1/supply_daily/{other.id}").status_code == 404
    assert c.put(f"/api/v1/supply_daily/{other.id}", json={"quantity": "1"}).status_code == 404
    assert c.delete(f"/api/v1/supply_daily/{other.id}").status_code == 404
    assert c.get("/api/v1/supply_daily/").get_json()["count"] == 0
    assert c.get(f"/api/v1/supply_stock/{other.id}").status_code == 404  # another report's API
    db.session.expire_all()
    assert db.session.get(SupplyEntry, other.id).quantity == 5
