"""卫生人力基本信息 export (issue 16, the annual 卫统 submission): one row per person of an institution, the 37 items
of app/data/hr_basic_fields.csv in the national order, values as the national codes.

Who is in it: the staff in post (the active statuses) and those whose reviewed resignation left in the year (they
carry their 流出 code) or after it (an earlier year's export). Most items are the person's own fields; four come from elsewhere:
- 所在科室代码 / 科室实际名称: the department's 标准科室 (its 卫统 code: A01 → 01, D71 → 71, a local X-code by the
  mapping its source names, e.g. X04 “映射D73” → 73) and the department's name;
- 医师/卫生监督员执业证书编码: the newest 执业证书 of the person that is a physician's (it has a 执业类别) or of a
  执业医师 / 执业助理医师 / 卫生监督员;
- 年内人员流动情况 / 调入调出时间: the approved resignation of the year (its 流出 code and 离职时间), else a 流入 12
  (其他卫生机构调入) when another institution's record of the same 证件号码 left in the year as 21 调往其他卫生机构
  (its 离职时间). Other 流入 (graduates, 军转…) are not recorded by the system and stay empty.
"""
import datetime
import re

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import aliased

from app.domain.person import ACTIVE_STATUSES, split_specialties
from app.domain.review import APPROVED
from app.extensions import db
from app.models.movements import Resignation
from app.models.org import Department, Institution
from app.models.people import Person, PracticeCertificate
from app.services import dictionaries, workbooks

TRANSFER_FLOW, TRANSFER_IN = "21", "12"  # staff_flow.csv: 调往其他卫生机构 → for the receiver 其他卫生机构调入
PHYSICIAN_STAFF = ("11", "12", "50")  # staff_category: 执业医师, 执业助理医师, 卫生监督员
PREVIEW_ROWS = 20
FIRST_YEAR = 2000

# The 37 items in the national order: (seq, source, dictionary of its codes or None). A source is a Person column,
# or one of the derived values of `_statement` (dept_code, dept_name, physician_cert, flow_code, flow_date).
ITEMS = (
    (1, "name", None), (2, "id_type", "id_types"), (3, "id_number", None), (4, "birth_date", None),
    (5, "sex", "sex"), (6, "ethnicity", "ethnicity"), (7, "work_start", None), (8, "office_phone", None),
    (9, "phone", None), (10, "dept_code", "standard_departments"), (11, "dept_name", None),
    (12, "staff_category", "staff_category"), (13, "physician_cert", None), (14, "practice_category", "practice_category"),
    (15, "practice_scope", "practice_scope"), (16, "multisite", "yes_no"), (17, "multisite_unit2", "multisite_unit_type"),
    (18, "multisite_unit3", "multisite_unit_type"), (19, "resident_training", "yes_no"), (20, "resident_training_no", None),
    (21, "admin_post", "admin_post"), (22, "tech_title", "tech_title_level"), (23, "tech_post", "tech_title_level"),
    (24, "education", "education"), (25, "degree", "degree"), (26, "major", None), (27, "specialties", None),
    (28, "flow_code", "staff_flow"), (29, "flow_date", None), (30, "establishment", "establishment"),
    (31, "gp_registered", "yes_no"), (32, "gp_certificate", "gp_certificate"), (33, "village_posted", "yes_no"),
    (34, "stats_it", "yes_no"), (35, "stats_it_work", "stats_it_work"), (36, "nurse_certificate_no", None),
    (37, "village_doctor_certificate_no", None),
)
_DERIVED = {"dept_code", "dept_name", "physician_cert", "flow_code", "flow_date"}
PERSON_COLUMNS = tuple(key for _, key, _ in ITEMS if key not in _DERIVED)


def headers() -> list[str]:
    """The national item names in their order (the dictionary hr_basic_fields: code = seq, name = the item)."""
    names = {int(d.code): d.name for d in dictionaries.items("hr_basic_fields", active_only=False)}
    return [names[seq] for seq, _, _ in ITEMS]


def department_code(standard_code, source="") -> str | None:
    """The 卫统 科室代码 of a 标准科室: A01 → 01, D71 → 71; a local X-code by the first A/D code its source maps to
    (“本地补充; 映射D73” → 73); None when it names none (住院部, 门诊部, 村卫生室 follow their clinical department)."""
    if not standard_code:
        return None
    found = re.fullmatch(r"[AD](\d{2})", standard_code)
    if found:
        return found.group(1)
    mapped = re.search(r"映射.*?[AD](\d{2})", source or "")
    return mapped.group(1) if mapped else None


def code_lists() -> dict[int, set]:
    """seq → the national codes an item may hold (its dictionary; id_types by their 卫统 code, 标准科室 by their
    科室代码): what every code column of the export is checked against."""
    types = {t for _, _, t in ITEMS if t}
    lists = dictionaries.items_of(types, active_only=False)
    codes = {t: {d.code for d in items} for t, items in lists.items()}
    codes["id_types"] = {(d.extra or {}).get("health_stats_code") for d in lists["id_types"]} - {None, ""}
    codes["standard_departments"] = {department_code(d.code, (d.extra or {}).get("source"))
                                     for d in lists["standard_departments"]} - {None}
    return {seq: codes[t] for seq, _, t in ITEMS if t}


def year_range(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def year_problem(text, today=None) -> tuple[int | None, str | None]:
    """(year, None) for a 统计年度 typed on the page (blank: this year), or (None, the refusal)."""
    today = today or datetime.date.today()
    text = (text or "").strip()
    if not text:
        return today.year, None
    if not text.isdigit() or not FIRST_YEAR <= int(text) <= today.year:
        return None, f"统计年度须为 {FIRST_YEAR}–{today.year} 之间的年份（当前：{text}）"
    return int(text), None


def _statement(institution_id: int, year: int):
    """The export's rows of one institution: the person's columns and the derived values, in 工号, 姓名 order."""
    start, end = year_range(year)
    p, cert, r = Person, PracticeCertificate, Resignation
    physician_cert = (select(cert.certificate_no)
                      .where(cert.person_id == p.id,
                             or_(cert.category.is_not(None), p.staff_category.in_(PHYSICIAN_STAFF)))
                      .order_by(cert.registered_on.desc(), cert.id.desc()).limit(1).scalar_subquery())
    left = select(r).where(r.person_id == p.id, r.status == APPROVED, r.leave_date >= start, r.leave_date <= end)
    out_code = left.with_only_columns(r.flow_type).order_by(r.leave_date.desc(), r.id.desc()).limit(1).scalar_subquery()
    out_date = left.with_only_columns(func.max(r.leave_date)).scalar_subquery()
    # in post at some time of the year: left in it or after it (a past year's export has those who left since)
    not_gone = select(r.id).where(r.person_id == p.id, r.status == APPROVED, r.leave_date >= start)
    earlier = aliased(Person)
    in_date = (select(func.max(r.leave_date)).join(earlier, earlier.id == r.person_id)
               .where(earlier.id_number == p.id_number, earlier.institution_id != p.institution_id,
                      r.status == APPROVED, r.flow_type == TRANSFER_FLOW, r.leave_date >= start, r.leave_date <= end)
               .scalar_subquery())
    return (select(*(getattr(p, c) for c in PERSON_COLUMNS), Department.standard_code, Department.name.label("dept_name"),
                   physician_cert.label("physician_cert"), out_code.label("out_code"), out_date.label("out_date"),
                   in_date.label("in_date"))
            .outerjoin(Department, Department.id == p.department_id)
            .where(p.institution_id == institution_id, or_(p.status.in_(ACTIVE_STATUSES), not_gone.exists()))
            .order_by(p.staff_no.is_(None), p.staff_no, p.name, p.id))


def count(institution_id: int, year: int) -> int:
    stmt = _statement(institution_id, year).order_by(None)
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


def _day(value, month_only=False):
    if value is None:
        return None
    return value.strftime("%Y-%m") if month_only else value.isoformat()


class _Codes:
    """What turns stored values into the export's: 证件类型 → its 卫统 code, 标准科室 → its 科室代码."""

    def __init__(self):
        lists = dictionaries.items_of({"id_types", "standard_departments"}, active_only=False)
        self.id_types = {d.code: (d.extra or {}).get("health_stats_code") or None for d in lists["id_types"]}
        self.departments = {d.code: department_code(d.code, (d.extra or {}).get("source"))
                            for d in lists["standard_departments"]}


def rows(institution_id: int, year: int, show_id=None, limit=None):
    """The export's rows (lists of 37 values in the national order: codes and texts as strings, dates as
    YYYY-MM-DD, 参加工作日期 as YYYY-MM). `show_id`: the 证件号码 as the caller may see it (views pass
    security.masking.shown_id); `limit`: the first rows only (the page's preview)."""
    codes = _Codes()
    show_id = show_id or (lambda number: number)
    stmt = _statement(institution_id, year)
    if limit is not None:
        stmt = stmt.limit(limit)
    for rec in db.session.execute(stmt.execution_options(yield_per=2000)).mappings():
        flow_code, flow_date = rec["out_code"], rec["out_date"]
        if flow_code is None and rec["in_date"] is not None:
            flow_code, flow_date = TRANSFER_IN, rec["in_date"]
        values = {
            **{c: rec[c] for c in PERSON_COLUMNS},
            "id_type": codes.id_types.get(rec["id_type"]), "id_number": show_id(rec["id_number"]),
            "birth_date": _day(rec["birth_date"]), "work_start": _day(rec["work_start"], month_only=True),
            "dept_code": codes.departments.get(rec["standard_code"]), "dept_name": rec["dept_name"],
            "physician_cert": rec["physician_cert"], "flow_code": flow_code, "flow_date": _day(flow_date),
            "specialties": "、".join(split_specialties(rec["specialties"])) or None,
        }
        yield [values[key] for _, key, _ in ITEMS]


def workbook(institution: Institution, year: int, show_id=None) -> bytes:
    """The export as .xlsx: one sheet, the header row the national item names, one row per person."""
    return workbooks.sheets_workbook({"卫生人力基本信息": (headers(), rows(institution.id, year, show_id))}, width=16)


def empty_items(institution_id: int, year: int) -> list[str]:
    """The items no row of the export fills (the page's hint; the note on the demo data): one GROUP-less count per
    item over the export's statement, in SQL."""
    codes = _Codes()
    sub = _statement(institution_id, year).order_by(None).subquery()
    mapped_ids = [k for k, v in codes.id_types.items() if v]
    mapped_departments = [k for k, v in codes.departments.items() if v]
    special = {
        "id_type": func.count(case((sub.c.id_type.in_(mapped_ids), 1))),
        "dept_code": func.count(case((sub.c.standard_code.in_(mapped_departments), 1))),
        "flow_code": func.count(case((or_(sub.c.out_code.is_not(None), sub.c.in_date.is_not(None)), 1))),
        "flow_date": func.count(func.coalesce(sub.c.out_date, sub.c.in_date)),
    }
    special["physician_cert"] = func.count(sub.c.physician_cert)
    counts = db.session.execute(select(*(special[key] if key in special else func.count(sub.c[key])
                                         for _, key, _ in ITEMS))).one()
    names = headers()
    return [names[i] for i, n in enumerate(counts) if not n]
