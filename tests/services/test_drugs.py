"""The drug dictionary (spec 5.3): 拼音缩写 by pypinyin, the seeded national essential medicines, and the type-ahead
search by initials, Chinese, or both mixed."""
from sqlalchemy import func, select

from app.models.emergency_drugs import DrugItem
from app.services import drugs


def test_abbreviation_is_the_first_letters_of_the_pinyin():
    assert drugs.abbreviation("阿莫西林") == "amxl"
    assert drugs.abbreviation("青霉素") == "qms"
    assert drugs.abbreviation("维生素B12") == "wssb12"  # Latin letters and digits kept
    assert drugs.abbreviation("羟乙基淀粉130/0.4氯化钠") == "qyjdf13004lhn"  # punctuation dropped
    assert drugs.abbreviation("复方丹参滴丸") == "ffdsdw" and drugs.abbreviation("参麦注射液") == "smzsy"  # 参 shēn
    assert drugs.abbreviation("头孢曲松") == "tbqs"  # 孢 bāo, 曲 qǔ


def test_the_csv_has_200_distinct_drugs_with_abbreviations():
    rows = list(drugs.csv_rows())
    assert len({(r["name"], r["dosage_form"], r["spec"]) for r in rows}) == len(rows) >= 200
    assert len({r["code"] for r in rows}) == len(rows)
    assert all(r["name"] and r["dosage_form"] and r["unit"] and drugs.abbreviation(r["name"]) for r in rows)


def test_setup_loaded_the_csv_with_abbreviations_and_loading_again_adds_nothing(db):
    count = db.session.scalar(select(func.count(DrugItem.id)))
    assert count == len(list(drugs.csv_rows()))
    amoxicillin = db.session.scalars(select(DrugItem).where(DrugItem.name == "阿莫西林")).all()
    assert amoxicillin and all(d.abbreviation == "amxl" for d in amoxicillin)
    assert drugs.load_drugs() == 0


def test_loading_keeps_an_operators_edit(db):
    drug = db.session.scalar(select(DrugItem).where(DrugItem.code == "YP0001"))
    drug.spec = "改过的规格"
    db.session.commit()
    drugs.load_drugs()
    db.session.expire_all()
    assert db.session.get(DrugItem, drug.id).spec == "改过的规格"


def _names(text, limit=20):
    return [d.name for d in drugs.search(text, limit)]


def test_search_by_initials_is_a_prefix_of_the_abbreviation(db):
    assert set(_names("amxl")) >= {"阿莫西林", "阿莫西林克拉维酸钾"}
    assert _names("amxl")[0] == "阿莫西林"  # the exact abbreviation first
    assert "青霉素" in _names("qms")
    assert "青霉素" in _names("QMS")  # case does not matter
    assert "苄星青霉素" not in _names("qms")  # initials match from the start only


def test_search_by_chinese_finds_the_text_inside_the_name(db):
    names = _names("霉素")
    assert {"青霉素", "红霉素", "阿奇霉素", "苄星青霉素"} <= set(names)
    assert all("霉素" in n for n in names)


def test_search_mixed_chinese_and_initials(db):
    assert _names("阿mxl")[0] == "阿莫西林"
    assert "阿莫西林" in _names("阿莫x")


def test_search_by_chinese_lists_the_names_containing_it_first(db):
    names = _names("阿莫")  # its initials "am" also match 奥美拉唑 (amlz), which comes after
    assert names[0].startswith("阿莫") and "奥美拉唑" in names
    assert names.index("奥美拉唑") > max(i for i, n in enumerate(names) if "阿莫" in n)


def test_search_without_a_hit_or_text_returns_nothing(db):
    assert drugs.search("zzzzq", 20) == []
    assert drugs.search("不存在的药", 20) == []
    assert drugs.search("   ", 20) == []
    assert drugs.search("%", 20) == []  # a LIKE wildcard is not a search for everything


def test_search_leaves_out_inactive_drugs_and_respects_the_limit(db):
    for drug in db.session.scalars(select(DrugItem).where(DrugItem.name == "青霉素")):
        drug.active = False
    db.session.commit()
    assert "青霉素" not in _names("qms")
    assert len(drugs.search("a", 3)) == 3


def test_as_json_has_the_fields_a_report_row_shows(db):
    drug = drugs.search("amxl", 1)[0]
    assert drugs.as_json(drug) == {"id": drug.id, "code": drug.code, "name": "阿莫西林", "dosage_form": drug.dosage_form,
                                   "spec": drug.spec, "unit": drug.unit}
