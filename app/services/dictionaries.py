"""Dictionary loading: the national code lists in app/data/*.csv into DictItem, and the region tree."""
import csv
import os

from sqlalchemy import select

from app.extensions import db
from app.models.dictionary import DictItem
from app.models.org import Region

DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")

# Which CSV column holds the code and the name; other columns go to `extra`.
COLUMNS = {
    "id_types": ("code_cv02_01_101", "name"),
    "mobile_prefixes": ("prefix", "prefix"),
    "hr_basic_fields": ("seq", "field"),
    "tech_title_level": ("code", "level"),
}
NOT_DICTIONARIES = {"regions", "drugs", "emergency_indicators"}  # loaded by services/drugs.py, services/emergency_reports.py
ACTIVE_COLUMN = "active"  # Y / N: whether the national list offers the value (see load_dictionaries)
TYPE_LABELS = {
    "admin_post": "行政/业务管理职务", "degree": "学位", "education": "学历", "establishment": "编制情况",
    "ethnicity": "民族", "hr_basic_fields": "卫生人力基本信息项", "id_types": "证件类型", "mobile_prefixes": "手机号段",
    "multisite_unit_type": "多点执业单位类别", "practice_category": "执业类别", "practice_scope": "执业范围",
    "sex": "性别", "staff_category": "从事专业类别", "staff_flow": "人员流动", "standard_departments": "标准科室",
    "tech_title_level": "专业技术资格等级", "political_status": "政治面貌", "staff_status": "在职状态",
    "institution_category": "机构类别", "economic_type": "经济类型", "institution_grade": "机构级别",
    "registration_authority": "登记机关", "yes_no": "是否", "gp_certificate": "全科医生培训合格证书",
    "stats_it_work": "统计信息化业务工作内容",
}


def dictionary_files():
    for fname in sorted(os.listdir(DATA_DIR)):
        if fname.endswith(".csv") and fname[:-4] not in NOT_DICTIONARIES:
            yield fname[:-4], os.path.join(DATA_DIR, fname)


def _rows(dtype, path):
    code_col, name_col = COLUMNS.get(dtype, ("code", "name"))
    seen = set()
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for order, row in enumerate(csv.DictReader(fh), start=1):
            code = (row.get(code_col) or "").strip()
            if not code:
                code = f"X{order:02d}"  # lists such as id_types have rows without a national code
            elif code in seen:
                code = f"{code}-{(row.get('length') or order)}"
            seen.add(code)
            extra = {k: v for k, v in row.items()
                     if k not in (code_col, name_col, ACTIVE_COLUMN) and v not in (None, "")}
            yield code, row[name_col].strip(), order, extra, (row.get(ACTIVE_COLUMN) or "").strip().upper() != "N"


def load_dictionaries() -> int:
    """Insert or update every list (idempotent). Returns rows touched.

    `DictItem.active` is whether a value is offered in dropdowns (an existing row keeps a value that is no longer
    offered). A CSV's `active` column (staff_status.csv: 离职/退休/其他 are `N`, reached only through 员工离职)
    decides it for its values: `N` is never offered, on every load — an operator's 启用 cannot bring it back;
    `Y` or no column leaves the operator's 停用 as it is."""
    existing = {(d.type, d.code): d for d in db.session.scalars(select(DictItem))}
    touched = 0
    for dtype, path in dictionary_files():
        for code, name, order, extra, offered in _rows(dtype, path):
            item = existing.get((dtype, code))
            if item is None:
                db.session.add(DictItem(type=dtype, code=code, name=name, order=order, active=offered, extra=extra))
                touched += 1
                continue
            if (item.name, item.order, item.extra) != (name, order, extra):
                item.name, item.order, item.extra = name, order, extra
                touched += 1
            if item.active and not offered:
                item.active = False
                touched += 1
    db.session.commit()
    return touched


def load_regions() -> int:
    """Region tree from app/data/regions.csv (code, name, level, parent_code). Idempotent."""
    by_code = {r.code: r for r in db.session.scalars(select(Region))}
    added = 0
    with open(os.path.join(DATA_DIR, "regions.csv"), encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["code"] in by_code:
                continue
            parent = by_code.get(row["parent_code"]) if row["parent_code"] else None
            path = (parent.path if parent else "/") + row["code"] + "/"
            region = Region(code=row["code"], name=row["name"], level=int(row["level"]), parent=parent, path=path)
            db.session.add(region)
            by_code[row["code"]] = region
            added += 1
    db.session.commit()
    return added


def items(dtype: str, active_only: bool = True):
    """The values of one list in display order: what every dropdown reads."""
    stmt = select(DictItem).where(DictItem.type == dtype).order_by(DictItem.order, DictItem.code)
    if active_only:
        stmt = stmt.where(DictItem.active.is_(True))
    return list(db.session.scalars(stmt))


def items_of(dtypes, active_only: bool = True) -> dict:
    """`items` of several lists in one statement: type → its values in display order (a page with many dropdowns
    reads its dictionaries at once; every asked type is a key, empty when the list has no values)."""
    dtypes = sorted(set(dtypes))
    stmt = select(DictItem).where(DictItem.type.in_(dtypes)).order_by(DictItem.type, DictItem.order, DictItem.code)
    if active_only:
        stmt = stmt.where(DictItem.active.is_(True))
    out = {t: [] for t in dtypes}
    for d in db.session.scalars(stmt):
        out[d.type].append(d)
    return out
