"""药品字典 through the pages (spec 5.3): the type-ahead answers JSON to a logged-in user with the right only, and
the operators' dictionary page regenerates 拼音缩写 when a drug is added or renamed."""
import re

from sqlalchemy import select

from app.models.emergency_drugs import DrugItem
from app.services import drugs

VERSION_RE = re.compile(r'name="version"[^>]*value="(\d+)"')
TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _body(resp):
    return resp.get_data(as_text=True)


def test_type_ahead_answers_drugs_by_pinyin_initials(login_as):
    resp = login_as("sysadmin01").get("/drugs/search/?q=amxl")
    assert resp.status_code == 200 and resp.is_json
    data = resp.get_json()
    assert data["message"] == ""
    first = data["items"][0]
    assert first["name"] == "阿莫西林" and set(first) == {"id", "code", "name", "dosage_form", "spec", "unit"}
    assert first["dosage_form"] and first["unit"]


def test_type_ahead_says_the_drug_is_not_in_the_dictionary(login_as):
    data = login_as("sysadmin01").get("/drugs/search/?q=zzzzq").get_json()
    assert data == {"items": [], "message": "字典中暂无该药品"}


def test_type_ahead_needs_a_login_and_the_right(client, login_as):
    anonymous = client.get("/drugs/search/?q=amxl")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    refused = login_as("inst_staff").get("/drugs/search/?q=amxl")  # 人事科: no 药品字典 right
    assert refused.status_code == 403 and not refused.is_json


def test_type_ahead_is_get_only(login_as):
    c = login_as("sysadmin01")
    assert c.post("/drugs/search/", data={"q": "amxl"}).status_code in (400, 405)


def test_operator_adds_a_drug_and_its_abbreviation_is_generated(db, login_as):
    c = login_as("sysadmin01")
    token = TOKEN_RE.search(_body(c.get("/drugitemview/add"))).group(1)
    resp = c.post("/drugitemview/add", data={"csrf_token": token, "code": "ZZ0001", "name": "奥司他韦颗粒",
                                             "dosage_form": "颗粒剂", "spec": "15mg", "unit": "袋",
                                             "category": "抗感染药", "active": "y"})
    assert resp.status_code == 302
    drug = db.session.scalar(select(DrugItem).where(DrugItem.code == "ZZ0001"))
    assert drug.abbreviation == "astwkl"
    assert "奥司他韦颗粒" in [d.name for d in drugs.search("astwk")]


def test_operator_renames_a_drug_and_its_abbreviation_follows(db, login_as):
    drug = db.session.scalar(select(DrugItem).where(DrugItem.name == "青霉素").order_by(DrugItem.id).limit(1))
    c = login_as("sysadmin01")
    path = f"/drugitemview/edit/{drug.id}"
    html = _body(c.get(path))
    assert 'name="abbreviation"' not in html and "保存时按通用名自动生成拼音缩写" in html  # generated, not typed
    resp = c.post(path, data={"csrf_token": TOKEN_RE.search(html).group(1), "version": VERSION_RE.search(html).group(1),
                              "name": "青霉素钠", "dosage_form": drug.dosage_form, "spec": drug.spec,
                              "unit": drug.unit, "category": drug.category, "active": "y"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(DrugItem, drug.id).abbreviation == "qmsn"
    found = login_as("sysadmin01").get("/drugs/search/?q=qmsn").get_json()["items"]
    assert [d["id"] for d in found] == [drug.id]


def test_dictionary_list_shows_chinese_labels_and_searches(login_as):
    html = _body(login_as("sysadmin01").get("/drugitemview/list/?_flt_0_name=阿莫西林"))
    for label in ("药品编码", "通用名", "拼音缩写", "剂型", "规格", "单位", "药品分类"):
        assert label in html
    assert "amxl" in html and "青霉素" not in html
