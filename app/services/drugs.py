"""The drug dictionary (spec 5.3): loading app/data/drugs.csv, 拼音缩写 by pypinyin, and the type-ahead search.

`search` finds a drug by the first letters of its pinyin (amxl → 阿莫西林), by a Chinese part of its name (霉素), or
by both mixed (阿mx → amx…): the typed text is turned into initials and matched as a prefix of the indexed
`abbreviation` column, and Chinese text is also matched inside the name."""
import csv
import os
import re

from pypinyin import Style, lazy_pinyin, load_phrases_dict
from sqlalchemy import case, func, or_, select

from app.extensions import db
from app.models.emergency_drugs import DrugItem
from app.services.dictionaries import DATA_DIR
from app.services.transaction import transactional

CSV_PATH = os.path.join(DATA_DIR, "drugs.csv")
NO_HIT = "字典中暂无该药品"  # [spec] what the type-ahead says when nothing matches
ABBREVIATION_LENGTH = 60  # DrugItem.abbreviation
# Drug names pypinyin reads wrongly (参 as cān): their readings, added to its phrase dictionary once.
PHRASES = {"参麦": [["shēn"], ["mài"]]}
load_phrases_dict(PHRASES)
_HAN = re.compile(r"[\u4e00-\u9fff]")
_KEEP = re.compile(r"[^a-z0-9]")


def abbreviation(name: str) -> str:
    """拼音缩写: the first letter of each Chinese character's pinyin; Latin letters and digits kept (维生素B12 →
    wssb12), everything else dropped."""
    parts = lazy_pinyin(name or "", style=Style.FIRST_LETTER, errors=lambda text: list(text))
    return _KEEP.sub("", "".join(parts).lower())[:ABBREVIATION_LENGTH]


def csv_rows(path: str = CSV_PATH):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            yield {k: (v or "").strip() for k, v in row.items()}


@transactional
def load_drugs(path: str = CSV_PATH) -> int:
    """Insert the CSV's drugs not yet in the dictionary (by 药品编码). An operator's edits of a loaded drug are kept:
    the CSV only seeds. Returns rows added."""
    known = set(db.session.scalars(select(DrugItem.code)))
    added = 0
    for row in csv_rows(path):
        if row["code"] in known:
            continue
        db.session.add(DrugItem(code=row["code"], name=row["name"], abbreviation=abbreviation(row["name"]),
                                dosage_form=row["dosage_form"], spec=row["spec"], unit=row["unit"],
                                category=row.get("category") or None, active=True))
        known.add(row["code"])
        added += 1
    return added


def _like_text(text: str) -> str:
    return text.replace("\\", "").replace("%", "").replace("_", "")


def search(text: str, limit: int = 20) -> list[DrugItem]:
    """Active drugs whose 拼音缩写 starts with the typed text's initials, or whose name contains its Chinese; exact
    and shorter matches first. Empty text: nothing."""
    text = _like_text((text or "").strip())
    initials = abbreviation(text)
    if not initials and not text:
        return []
    conditions = []
    if initials:
        conditions.append(DrugItem.abbreviation.like(f"{initials}%"))
    if _HAN.search(text):
        conditions.append(DrugItem.name.like(f"%{text}%"))
    if not conditions:
        return []
    exact = case((or_(DrugItem.name == text, DrugItem.abbreviation == initials), 0), else_=1)
    # typed Chinese: the names containing it before the ones only sharing its initials (阿莫 → 阿莫西林, not 奥美拉唑)
    named = [case((DrugItem.name.like(f"%{text}%"), 0), else_=1)] if _HAN.search(text) else []
    query = (select(DrugItem).where(DrugItem.active.is_(True), or_(*conditions))
             .order_by(exact, *named, func.length(DrugItem.abbreviation), DrugItem.name, DrugItem.id).limit(limit))
    return list(db.session.scalars(query))


def as_json(drug: DrugItem) -> dict:
    """What a report row shows read-only once a drug is picked."""
    return {"id": drug.id, "code": drug.code, "name": drug.name, "dosage_form": drug.dosage_form, "spec": drug.spec,
            "unit": drug.unit}
