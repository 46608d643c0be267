"""The report engine of 应急资源管理 (spec 5.1, 5.2(2), 5.3, 5.4(2)): one header-with-lines flow for every kind.

新增 → 保存 (未上报) → 修改 / 删除 / 上报, or 直接上报 in one step [spec]. A reported report is read-only for the
institution; the region's 退回 (not here yet) puts it back to 已退回, editable, with the reason shown. Kinds and
their indicators are data (emergency_indicator, seeded from app/data/emergency_indicators.csv by `flask setup`).
Every call is scoped: an institution sees and writes only its own reports (DomainError otherwise; views 404)."""
import datetime
import io
import os

from sqlalchemy import func, select
from sqlalchemy.orm.attributes import flag_modified

from app.domain import capacity
from app.domain.errors import DomainError, ValidationFailed
from app.extensions import db
from app.models.emergency_registers import NOT_COUNTED, USE_STATUSES, VEHICLE_TYPES
from app.models.emergency_reports import EmergencyIndicator, EmergencyReport, EmergencyReportLine
from app.services import catalogues, concurrency, emergency_registers, scope
from app.services.transaction import transactional

KINDS = {"capacity": "机构能力上报", "vehicle": "机构车辆上报", "equipment": "应急医疗设备上报", "drug": "机构药品上报"}
DRAFT, REPORTED, RETURNED = "未上报", "已上报", "已退回"
STATUSES = (DRAFT, REPORTED, RETURNED)
EDITABLE = (DRAFT, RETURNED)
LABELS = {"kind": "上报类型", "report_date": "上报时间", "status": "上报状态", "note": "填报说明", "lines": "上报数据",
          "created_by_id": "填报人", "reported_at": "上报时刻", "reported_by_id": "上报人",
          "return_reason": "退回原因"}
LINE_LABELS = {"report_id": "上报记录", "item_code": "指标", "value": "数量", "detail": "明细"}
INDICATOR_LABELS = {"kind": "上报类型", "code": "指标代码", "name": "指标名称", "total_code": "所属总数指标",
                    "unit": "单位", "order": "顺序", "active": "启用"}
NOT_FOUND = "上报记录不存在，或不在您的权限范围内"
READ_ONLY = "该上报记录已上报，不能修改或删除"
DATA_FILE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "emergency_indicators.csv")
PAGE_SIZE = 20


# ---- the catalogue ---------------------------------------------------------------------------------------------

def load_indicators(path: str = DATA_FILE) -> int:
    """Insert or update the catalogue from the CSV (idempotent; an operator's 停用 stays). Returns rows touched."""
    return catalogues.sync_csv(EmergencyIndicator, path, ("kind", "code"), lambda row, order: {
        "name": row["name"].strip(), "total_code": (row.get("total") or "").strip() or None,
        "unit": (row.get("unit") or "").strip() or None, "order": order})


def indicators(kind: str) -> list[EmergencyIndicator]:
    return list(db.session.scalars(select(EmergencyIndicator).where(
        EmergencyIndicator.kind == kind, EmergencyIndicator.active.is_(True)).order_by(EmergencyIndicator.order)))


def groups(kind: str) -> list[tuple[EmergencyIndicator, list[EmergencyIndicator]]]:
    """The form's layout: each group total (or stand-alone indicator) with its parts."""
    items = indicators(kind)
    return [(i, [p for p in items if p.total_code == i.code]) for i in items if not i.total_code]


def _rules(kind):
    return [capacity.Indicator(i.code, i.name, i.total_code) for i in indicators(kind)]


# ---- the lines of each kind ------------------------------------------------------------------------------------
# A kind's line builder turns what the form posted into the report's lines: (user, kind, values, existing report or
# None) → ({item_code: (value, detail or None)}, [(field, message), …]). Every problem at once, named by its field.

def _typed_lines(user, kind, values, existing):
    """5.1: every indicator of the catalogue typed in; the part ≤ total rule (domain/capacity.py)."""
    parsed, problems = capacity.check(_rules(kind), values)
    return {code: (number, None) for code, number in parsed.items()}, problems


COUNTED = tuple(s for s in USE_STATUSES if s not in NOT_COUNTED)  # 在用, 备用, 维修: what a register report counts
REGISTER_KINDS = ("vehicle", "equipment")  # their lines come from 车辆档案 / 应急医疗设备档案, nothing is typed
RECOUNT = "recount"  # the form's tick 按当前档案重新统计


def snapshot(user, kind) -> dict[str, tuple[int, dict[str, int]]]:
    """5.2(2) / 5.4(2): the institution's register now, one line per catalogue type (0 when none): {indicator code:
    (total, {status: n})}; 停用 and 报废 left out [spec], equipment adds up 数量 (services/emergency_registers.py)."""
    counts = emergency_registers.counts_by_type(_institution_id(user), kind)
    lines = {}
    for item in indicators(kind):
        detail = {status: counts.get(item.name, {}).get(status, 0) for status in COUNTED}
        lines[item.code] = (sum(detail.values()), detail)
    return lines


def _register_lines(user, kind, values, existing):
    """A register kind: a new report (or one whose user ticked 按当前档案重新统计) takes the register's snapshot; an
    edited one keeps its own, so a report says what the register held when it was made [spec]."""
    if existing is not None and not values.get(RECOUNT):
        return {line.item_code: (line.value, line.detail) for line in existing.lines}, []
    return snapshot(user, kind), []


def lines_of(report) -> dict[str, tuple[int, dict | None]]:
    return {line.item_code: (line.value, line.detail) for line in report.lines}


def describe(detail) -> str:
    """How a register count was made: "在用 1 + 备用 1 + 维修 0" ('' without a detail)."""
    if not isinstance(detail, dict):
        return ""
    return " + ".join(f"{status} {detail.get(status, 0)}" for status in COUNTED)


def details_of(report) -> dict[str, str]:
    """{indicator code: "在用 1 + 备用 1 + 维修 0"} of a register report's lines ({} for other kinds)."""
    if report is None or report.kind not in REGISTER_KINDS:
        return {}
    return {line.item_code: describe(line.detail) for line in report.lines}


AMBULANCE_TYPES = tuple(t for t in VEHICLE_TYPES if t.endswith("救护车"))
CAPACITY_PREFILL = {"ambulances": AMBULANCE_TYPES, "negative_pressure_ambulances": ("负压救护车",)}


def capacity_prefill(user) -> dict[str, int]:
    """5.1 新增: 救护车数 (every ambulance type) and 负压救护车数 from 车辆档案 (停用/报废 left out), editable."""
    counts = emergency_registers.counts_by_type(_institution_id(user), "vehicle")
    return {code: sum(sum(counts.get(t, {}).values()) for t in types) for code, types in CAPACITY_PREFILL.items()}



MAX_QUANTITY = 999_999_999  # fits the line's integer column
DRUG_DETAIL = ("name", "dosage_form", "spec", "unit")  # the dictionary entry as it was when the report was saved


def _drug_lines(user, kind, rows, existing):
    """5.3: rows of [{"drug_code", "name" (what was typed), "quantity"}], numbered from 1 as the form shows them
    (blank rows are skipped, their number kept). Each drug an active dictionary entry, once per report; 库存数量 an
    integer ≥ 0; at least one row. A line's detail is a snapshot of the entry, so the report reads the same after
    the dictionary is edited."""
    from app.models.emergency_drugs import DrugItem

    rows = [(n, {k: str(row.get(k) or "").strip() for k in ("drug_code", "name", "quantity")})
            for n, row in enumerate(rows or [], start=1)]
    rows = [(n, row) for n, row in rows if any(row.values())]
    codes = {row["drug_code"] for _, row in rows if row["drug_code"]}
    known = {d.code: d for d in db.session.scalars(select(DrugItem).where(
        DrugItem.code.in_(codes), DrugItem.active.is_(True)))} if codes else {}
    unpicked = {row["name"] for _, row in rows if row["name"] and row["drug_code"] not in known}
    in_dictionary = set(db.session.scalars(select(DrugItem.name).where(
        DrugItem.name.in_(unpicked), DrugItem.active.is_(True)))) if unpicked else set()
    problems, built, first_row = [], {}, {}
    for n, row in rows:
        drug = known.get(row["drug_code"])
        if drug is None:
            typed = row["name"] or row["drug_code"]
            if not typed:
                message = f"第 {n} 行：请选择药品"
            elif row["name"] in in_dictionary:  # typed in full but not picked: which 剂型 / 规格 is not known
                message = f"第 {n} 行：请从输入框下方的列表中选择“{typed}”的剂型和规格"
            else:
                message = f"第 {n} 行：字典中暂无该药品“{typed}”"
            problems.append((f"drug-{n}", message))
        elif drug.code in first_row:
            other = first_row[drug.code]
            message = f"第 {other} 行与第 {n} 行是同一药品“{drug.name}（{drug.dosage_form} {drug.spec}）”，每种药品只填一行"
            if (f"drug-{other}", message) not in problems:
                problems.append((f"drug-{other}", message))
            problems.append((f"drug-{n}", message))
        else:
            first_row[drug.code] = n
        quantity = row["quantity"]
        if not quantity:
            problems.append((f"quantity-{n}", f"第 {n} 行：请填写库存数量"))
        elif not quantity.isdigit() or not quantity.isascii():
            problems.append((f"quantity-{n}", f"第 {n} 行：库存数量应为不小于 0 的整数（填写的是“{quantity}”）"))
        elif int(quantity) > MAX_QUANTITY:
            problems.append((f"quantity-{n}", f"第 {n} 行：库存数量不能超过 {MAX_QUANTITY}"))
        elif drug is not None and drug.code not in built:
            built[drug.code] = (int(quantity), {k: getattr(drug, k) or "" for k in DRUG_DETAIL})
    if not rows:
        problems.append(("rows", "请至少填写一种药品"))
    return built, problems


LINE_BUILDERS = {"capacity": _typed_lines, "vehicle": _register_lines, "equipment": _register_lines,
                 "drug": _drug_lines}
# Kinds whose lines are rows the institution chose (not the catalogue): the export writes one row per line with
# these columns of the line (item_code, value, or a key of its detail snapshot).
ROW_COLUMNS = {"drug": (("item_code", "药品编码"), ("name", "名称"), ("dosage_form", "剂型"), ("spec", "规格"),
                        ("unit", "单位"), ("value", "库存数量"))}


def _recheck(report) -> list[tuple[str, str]]:
    """The problems of a saved report's lines when it is 上报ed later (typed kinds: the catalogue may have changed)."""
    if LINE_BUILDERS.get(report.kind) is _typed_lines:
        return capacity.check(_rules(report.kind), values_of(report))[1]
    return []


# ---- reading ---------------------------------------------------------------------------------------------------

def _institution_id(user) -> int:
    if not getattr(user, "institution_id", None):
        raise DomainError("只有医疗机构账号可以填报应急资源")
    return user.institution_id


def get(user, pk) -> EmergencyReport:
    """A report in the caller's scope (DomainError otherwise: views answer 404)."""
    report = db.session.get(EmergencyReport, pk)
    if report is None or not scope.scope_of(user).allows_institution(report.institution_id):
        raise DomainError(NOT_FOUND)
    return report


def values_of(report: EmergencyReport | None) -> dict[str, int]:
    return {line.item_code: line.value for line in report.lines} if report is not None else {}


def rows_of(report: EmergencyReport | None) -> list[dict]:
    """A row kind's lines as the form and the show page draw them: code, quantity and the saved snapshot."""
    if report is None:
        return []
    return [{"drug_code": line.item_code, "quantity": str(line.value),
             **{k: (line.detail or {}).get(k, "") for k in DRUG_DETAIL}} for line in report.lines]


def described_rows(rows) -> list[dict]:
    """Rows of a form shown again (refused, or copied): each chosen drug's 剂型 / 规格 / 单位 from the dictionary
    where the row does not carry its snapshot; what was typed is kept as it is."""
    from app.models.emergency_drugs import DrugItem

    codes = {r.get("drug_code") for r in rows if r.get("drug_code") and not r.get("dosage_form")}
    known = {d.code: d for d in db.session.scalars(select(DrugItem).where(
        DrugItem.code.in_(codes), DrugItem.active.is_(True)))} if codes else {}
    described = []
    for row in rows:
        drug = known.get(row.get("drug_code"))
        extra = {k: getattr(drug, k) or "" for k in DRUG_DETAIL if k != "name"} if drug else {}
        described.append({**row, **extra})
    return described


def _line_cell(line, key):
    if key == "item_code":
        return line.item_code
    if key == "value":
        return line.value
    return (line.detail or {}).get(key, "")


def _query(user, kind, date_from=None, date_to=None, status=None):
    clause = scope.scope_of(user).institutions_clause(EmergencyReport.institution_id)
    query = select(EmergencyReport).where(EmergencyReport.kind == kind)
    if clause is not None:
        query = query.where(clause)
    if date_from:
        query = query.where(EmergencyReport.report_date >= date_from)
    if date_to:
        query = query.where(EmergencyReport.report_date <= date_to)
    if status in STATUSES:
        query = query.where(EmergencyReport.status == status)
    return query.order_by(EmergencyReport.report_date.desc(), EmergencyReport.id.desc())


def search(user, kind, date_from=None, date_to=None, status=None, page=1, page_size=PAGE_SIZE):
    """(reports of one page, total count): the caller's reports of a kind, newest 上报时间 first."""
    query = _query(user, kind, date_from, date_to, status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = max(1, int(page or 1))
    rows = db.session.scalars(query.offset((page - 1) * page_size).limit(page_size)).all()
    return rows, total


def export(user, kind, date_from=None, date_to=None, status=None) -> bytes:
    """The searched list as .xlsx: one row per report, one column per indicator of the catalogue (register kinds:
    each count followed by how it was made); a row kind (ROW_COLUMNS: 机构药品上报) one row per line instead,
    the report's columns repeated on each."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from sqlalchemy.orm import selectinload

    columns = ROW_COLUMNS.get(kind)
    items = [] if columns else indicators(kind)
    wb = Workbook()
    ws = wb.active
    ws.title = KINDS[kind]
    register = kind in REGISTER_KINDS  # each count followed by how it was made (在用 + 备用 + 维修)
    names = [n for i in items for n in ((i.name, f"{i.name}（{'+'.join(COUNTED)}）") if register else (i.name,))]
    middle = [label for _, label in columns] if columns else names
    ws.append(["上报时间", "上报状态", *middle, "填报说明", "上报人", "上报时刻"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    query = _query(user, kind, date_from, date_to, status).options(selectinload(EmergencyReport.lines))
    for r in db.session.scalars(query):
        head = [r.report_date.strftime("%Y-%m-%d"), r.status]
        tail = [r.note or "", r.reported_by.username if r.reported_by else "",
                r.reported_at.strftime("%Y-%m-%d %H:%M") if r.reported_at else ""]
        if columns:
            for line in r.lines:
                ws.append([*head, *(_line_cell(line, key) for key, _ in columns), *tail])
        else:
            values, details = values_of(r), details_of(r)
            ws.append([*head, *(c for i in items for c in ((values.get(i.code, ""), details.get(i.code, ""))
                                                           if register else (values.get(i.code, ""),))), *tail])
    ws.column_dimensions["A"].width = 12
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def last_reported(user, kind) -> EmergencyReport | None:
    """The institution's latest reported report of a kind: what 复制上次上报 starts from."""
    return db.session.scalar(select(EmergencyReport).where(
        EmergencyReport.institution_id == _institution_id(user), EmergencyReport.kind == kind,
        EmergencyReport.status == REPORTED).order_by(EmergencyReport.reported_at.desc(),
                                                     EmergencyReport.id.desc()).limit(1))


def copy_last(user, kind) -> dict:
    """The form values of a new report copied from the last reported one (DomainError when there is none)."""
    if kind in REGISTER_KINDS:
        raise DomainError("该上报按档案统计，不能复制上次上报")
    last = last_reported(user, kind)
    if last is None:
        raise DomainError("本机构还没有已上报的记录，无法复制上次上报")
    return {"values": values_of(last), "rows": rows_of(last) if last.kind in ROW_COLUMNS else [],
            "note": last.note or "", "report_date": datetime.date.today()}


# ---- writing ---------------------------------------------------------------------------------------------------

def _parse_date(raw):
    if isinstance(raw, datetime.date):
        return raw
    try:
        return datetime.datetime.strptime((raw or "").strip(), "%Y-%m-%d").date()
    except ValueError:
        return None


@transactional
def save(user, kind, values, report_date, note="", pk=None, version=None, report=False):
    """Create (pk None) or change a report and keep it 未上报; `report=True`: 直接上报 / save and 上报 at once.
    `values`: what the kind's line builder reads ({indicator code: typed} for 5.1, a list of rows for 机构药品上报).
    Every problem of the form at once, named by its field (indicator codes, drug-2 / quantity-2, report_date)."""
    institution_id = _institution_id(user)
    if kind not in LINE_BUILDERS:
        raise DomainError("未知的上报类型")
    existing = None
    if pk is not None:
        existing = _own_editable(user, pk, version, READ_ONLY)
        if existing.kind != kind:
            raise DomainError(NOT_FOUND)
    built, problems = LINE_BUILDERS[kind](user, kind, values, existing)
    day = _parse_date(report_date)
    if day is None:
        problems.insert(0, ("report_date", "请填写上报时间（格式 2026-01-31）"))
    elif day > datetime.date.today():
        problems.insert(0, ("report_date", "上报时间不能晚于今天"))
    if problems:
        raise ValidationFailed(problems)
    target = existing or EmergencyReport(institution_id=institution_id, kind=kind, status=DRAFT,
                                         created_by_id=user.id)
    if existing is None:
        db.session.add(target)
    target.report_date, target.note = day, (note or "").strip() or None
    lines = {line.item_code: line for line in target.lines}
    for code, (number, detail) in built.items():
        if code in lines:
            if lines[code].value != number:
                lines[code].value = number
            if lines[code].detail != detail:
                lines[code].detail = detail
        else:
            target.lines.append(EmergencyReportLine(item_code=code, value=number, detail=detail))
    for code, line in lines.items():
        if code not in built:
            target.lines.remove(line)
    if existing is not None:
        flag_modified(target, "report_date")  # a change of the lines alone is a new version of the report too
    if report:
        _mark_reported(target, user)
    return target


def _own_editable(user, pk, version, read_only_message) -> EmergencyReport:
    """A report of the caller's own institution, unchanged since the form was opened and still editable."""
    report = get(user, pk)
    if report.institution_id != _institution_id(user):
        raise DomainError(NOT_FOUND)
    concurrency.check(report, version, LABELS)
    if report.status not in EDITABLE:
        raise DomainError(read_only_message)
    return report


def _mark_reported(report, user):
    if report.id is not None and report.status == RETURNED:
        # 上报 again after the region's 退回: a step of the review trail too (who, when), next to the 退回
        from app.services import emergency_summary, reviews

        reviews.submit(emergency_summary.REVIEW, report, user)
    report.status, report.reported_at, report.reported_by_id = REPORTED, datetime.datetime.now(), user.id


@transactional
def submit(user, pk, version=None):
    """上报 a saved report: checked again, then read-only."""
    report = _own_editable(user, pk, version, "该记录已上报")
    problems = _recheck(report)
    if problems:
        raise ValidationFailed(problems)
    _mark_reported(report, user)
    return report


@transactional
def delete(user, pk, version=None):
    """删除 a report not yet reported."""
    db.session.delete(_own_editable(user, pk, version, READ_ONLY))
