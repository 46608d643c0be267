"""应急物资资源 and 应急药械资源 (spec 5.5, 5.6): one service for the six menu entries (resource × report).

上报 opens a form that adds several rows at once (an item only once per form); its 上报 saves them as reported
entries [spec]. Each entry can afterwards be 查看详情 / 修改 / 删除 [spec]; every change is audited (the audit hook
of the session), counted (修改次数) and timed, and the regional totals, read from the entries, follow at once.
One entry per item per day (存量, 日消耗) or month (月估用量) per institution: a row whose key was reported before is
refused with the existing entry named, to be edited instead (`existing` of the refusal). Warnings (domain/
supplies.py) are shown before saving — `check()` returns them, `report(..., confirmed=True)` saves them with the
entries. Every call is scoped to the caller's institution (writes) or scope (reads)."""
import datetime
import io
import os
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select

from app.domain import supplies as rules
from app.domain.errors import DomainError, FieldError, ValidationFailed
from app.extensions import db
from app.models.emergency_drugs import DrugItem
from app.models.emergency_supplies import (
    DRUG_CATEGORY,
    DRUG_DEVICE_CATEGORIES,
    RESOURCES,
    SUPPLY_CATEGORIES,
    SupplyDay,
    SupplyEntry,
    SupplyItem,
)
from app.services import catalogues, concurrency, scope
from app.services.transaction import transactional

DATA_FILE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "supplies.csv")
DRUG_PREFIX = "drug:"
NOT_FOUND = "该上报记录不存在，或不在您的权限范围内"
PAGE_SIZE = 20
LABELS = {"resource": "资源类别", "report": "上报类型", "day": "日期", "item_code": "物资编码", "category": "类别",
          "name": "名称", "spec": "规格型号", "unit": "计量单位", "quantity": "数量", "note": "备注",
          "warnings": "提示", "created_by_id": "上报人", "changed_at": "最后修改时间", "changed_by_id": "修改人",
          "change_count": "修改次数"}
ITEM_LABELS = {"resource": "资源类别", "code": "编码", "category": "类别", "name": "名称", "spec": "规格型号",
               "unit": "计量单位", "decimals": "可填小数", "order": "顺序", "active": "启用"}


def menu_name(resource: str, report: str) -> str:
    """The manual's menu names: 物资资源存量上报, 物资月估用量填报, 物资日消耗上报, 药械存量上报, …"""
    prefix = "物资" if resource == "supply" else "药械"
    return {"stock": f"{prefix}{'资源' if resource == 'supply' else ''}存量上报", "estimate": f"{prefix}月估用量填报",
            "daily": f"{prefix}日消耗上报"}[report]


# ---- the catalogue ---------------------------------------------------------------------------------------------

def load_items(path: str = DATA_FILE) -> int:
    """Insert or update the catalogue from the CSV (idempotent; an operator's 停用 stays). Returns rows touched."""
    return catalogues.sync_csv(SupplyItem, path, ("code",), lambda row, order: {
        "resource": row["resource"].strip(), "category": row["category"].strip(), "name": row["name"].strip(),
        "spec": (row.get("spec") or "").strip(), "unit": row["unit"].strip(),
        "decimals": row.get("decimals", "0").strip() == "1", "order": order})


def items(resource: str) -> list[SupplyItem]:
    """The active catalogue items of a resource, in catalogue order (drugs of 药械 are found by the type-ahead)."""
    return list(db.session.scalars(select(SupplyItem).where(
        SupplyItem.resource == resource, SupplyItem.active.is_(True)).order_by(SupplyItem.order)))


@dataclass(frozen=True)
class Item:
    """What an entry keeps of its item."""

    code: str
    category: str
    name: str
    spec: str
    unit: str
    decimals: bool


def item(resource: str, code: str) -> Item | None:
    """A catalogue item of `resource`, or for 药械 a drug of the dictionary ("drug:" + 药品编码); None otherwise."""
    code = (code or "").strip()
    if resource == "drugdevice" and code.startswith(DRUG_PREFIX):
        drug = db.session.scalar(select(DrugItem).where(DrugItem.code == code[len(DRUG_PREFIX):],
                                                        DrugItem.active.is_(True)))
        if drug is None:
            return None
        return Item(code, DRUG_CATEGORY, drug.name, f"{drug.dosage_form} {drug.spec}".strip(), drug.unit, False)
    found = db.session.scalar(select(SupplyItem).where(SupplyItem.code == code, SupplyItem.resource == resource,
                                                       SupplyItem.active.is_(True)))
    if found is None:
        return None
    return Item(found.code, found.category, found.name, found.spec, found.unit, found.decimals)


# ---- checking a form -------------------------------------------------------------------------------------------

@dataclass
class Checked:
    """A checked form: the rows to save, the warnings per row, and the entries a row's key already has."""

    day: datetime.date
    rows: list[tuple[Item, Decimal, str]] = field(default_factory=list)
    warnings: dict[int, list[str]] = field(default_factory=dict)  # row number (1-based) → warnings
    existing: dict[int, int] = field(default_factory=dict)  # row number → the entry already reported for its key


def _institution_id(user) -> int:
    if not getattr(user, "institution_id", None):
        raise DomainError("只有医疗机构账号可以上报物资和药械")
    return user.institution_id


def _check_kind(resource, report):
    if resource not in RESOURCES or report not in rules.REPORTS:
        raise DomainError("未知的上报类型")


def check(user, resource, report, day_raw, rows) -> Checked:
    """Every problem of a form at once (ValidationFailed, fields "day", "item-<n>", "quantity-<n>"), else the rows
    with their warnings. `rows`: [{"item": code, "quantity": text, "note": text}, …] as posted (blank rows skipped)."""
    institution_id = _institution_id(user)
    _check_kind(resource, report)
    problems: list[FieldError] = []
    day, message = rules.parse_key(day_raw, report)
    if message:
        problems.append(FieldError("day", message))
    label = rules.QUANTITY_LABELS[report]
    checked = Checked(day=day)
    seen: dict[str, int] = {}
    numbered = [(n, r) for n, r in enumerate(rows, start=1)
                if (r.get("item") or "").strip() or str(r.get("quantity") or "").strip()]
    if not numbered:
        problems.append(FieldError("item-1", "请至少填写一行"))
    for n, row in numbered:
        found = item(resource, row.get("item"))
        if found is None:
            problems.append(FieldError(f"item-{n}", f"第 {n} 行：请从目录中选择物资" if not (row.get("item") or "").strip()
                                       else f"第 {n} 行：目录中没有该项目，或已停用"))
            continue
        if found.code in seen:
            problems.append(FieldError(f"item-{n}", f"第 {n} 行：“{found.name}”与第 {seen[found.code]} 行重复，"
                                                    "同一项目在一张表中只能填一次"))
            continue
        seen[found.code] = n
        quantity, message = rules.parse_quantity(row.get("quantity"), label, found.decimals)
        if message:
            problems.append(FieldError(f"quantity-{n}", f"第 {n} 行：{message}"))
            continue
        checked.rows.append((found, quantity, (row.get("note") or "").strip()))
        checked.warnings[n] = []
    if day is not None and checked.rows:
        codes = [i.code for i, _, _ in checked.rows]
        taken = dict(db.session.execute(select(SupplyEntry.item_code, SupplyEntry.id).where(
            SupplyEntry.institution_id == institution_id, SupplyEntry.resource == resource,
            SupplyEntry.report == report, SupplyEntry.day == day, SupplyEntry.item_code.in_(codes))).all())
        for code, n in seen.items():
            if code in taken:
                checked.existing[n] = taken[code]
                problems.append(FieldError(
                    f"item-{n}", f"第 {n} 行：“{_name(checked, code)}”{rules.DATE_LABELS[report]} "
                                 f"{_key_text(day, report)} 已上报过，请修改已有记录，不要重复上报"))
    if problems:
        refused = ValidationFailed(problems)
        refused.existing = checked.existing  # row → entry id: the form offers 修改 of the entry already reported
        raise refused
    numbers = [n for n, _ in numbered if n in checked.warnings]
    for n, (found, quantity, _) in zip(numbers, checked.rows, strict=True):
        checked.warnings[n] = _warnings(institution_id, resource, report, day, found, quantity)
    return checked


def _name(checked, code):
    return next(i.name for i, _, _ in checked.rows if i.code == code)


def _key_text(day, report):
    return f"{day:%Y-%m}" if report == rules.ESTIMATE else f"{day:%Y-%m-%d}"


def _latest(institution_id, resource, report, code, on_or_before, before=False):
    """The latest entry of an item and report on or before (strictly before) a day."""
    bound = SupplyEntry.day < on_or_before if before else SupplyEntry.day <= on_or_before
    entry = db.session.scalar(select(SupplyEntry).where(
        SupplyEntry.institution_id == institution_id, SupplyEntry.resource == resource, SupplyEntry.report == report,
        SupplyEntry.item_code == code, bound).order_by(SupplyEntry.day.desc()).limit(1))
    return rules.Reading(entry.day, Decimal(entry.quantity)) if entry else None


def _used(institution_id, resource, code, after, up_to) -> Decimal:
    """Consumption reported for days in (after, up_to]."""
    total = db.session.scalar(select(func.sum(SupplyEntry.quantity)).where(
        SupplyEntry.institution_id == institution_id, SupplyEntry.resource == resource,
        SupplyEntry.report == rules.DAILY, SupplyEntry.item_code == code,
        SupplyEntry.day > after, SupplyEntry.day <= up_to))
    return Decimal(total or 0)


def _warnings(institution_id, resource, report, day, found: Item, quantity: Decimal, exclude_id=None) -> list[str]:
    unit = found.unit
    if report == rules.DAILY:
        stock = _latest(institution_id, resource, rules.STOCK, found.code, day)
        message = rules.daily_above_stock(quantity, stock, unit)
    elif report == rules.ESTIMATE:
        last = db.session.scalar(select(func.max(SupplyEntry.day)).where(
            SupplyEntry.institution_id == institution_id, SupplyEntry.resource == resource,
            SupplyEntry.report == rules.DAILY, SupplyEntry.item_code == found.code))
        used = _used(institution_id, resource, found.code, last - datetime.timedelta(days=30), last) if last else None
        message = rules.estimate_far_from_use(quantity, used, unit)
    else:
        previous = _latest(institution_id, resource, rules.STOCK, found.code, day, before=True)
        used = _used(institution_id, resource, found.code, previous.day, day) if previous else Decimal(0)
        message = rules.stock_fell_more_than_used(rules.Reading(day, quantity), previous, used, unit)
    return [message] if message else []


# ---- writing ---------------------------------------------------------------------------------------------------

class NeedsConfirmation(DomainError):
    """The form has warnings the user has not seen yet: shown, then 上报 again with `confirmed=True`."""

    def __init__(self, checked: Checked):
        super().__init__("请核对以下提示，确认无误后再次点击“确认上报”")
        self.checked = checked


@transactional
def report(user, resource, report_kind, day_raw, rows, confirmed=False) -> list[SupplyEntry]:
    """上报: every row of the form saved as a reported entry, with its warnings. Unconfirmed warnings →
    NeedsConfirmation (nothing saved)."""
    checked = check(user, resource, report_kind, day_raw, rows)
    if any(checked.warnings.values()) and not confirmed:
        raise NeedsConfirmation(checked)
    warnings = [w for _, w in sorted(checked.warnings.items())]
    entries = []
    for (found, quantity, note), found_warnings in zip(checked.rows, warnings, strict=True):
        entry = SupplyEntry(institution_id=user.institution_id, resource=resource, report=report_kind,
                            day=checked.day, item_code=found.code, category=found.category, name=found.name,
                            spec=found.spec, unit=found.unit, quantity=quantity, note=note or None,
                            warnings=found_warnings or None, created_by_id=user.id, change_count=0)
        db.session.add(entry)
        entries.append(entry)
    refresh_days(user.institution_id, resource, [e.item_code for e in entries], [checked.day], report_kind)
    return entries


def get(user, pk) -> SupplyEntry:
    """An entry in the caller's scope (DomainError otherwise: views answer 404)."""
    entry = db.session.get(SupplyEntry, pk)
    if entry is None or not scope.scope_of(user).allows_institution(entry.institution_id):
        raise DomainError(NOT_FOUND)
    return entry


def _own(user, pk, version) -> SupplyEntry:
    entry = get(user, pk)
    if entry.institution_id != _institution_id(user):
        raise DomainError(NOT_FOUND)
    concurrency.check(entry, version, LABELS)
    return entry


@transactional
def update(user, pk, quantity_raw, note="", version=None, confirmed=False) -> SupplyEntry:
    """修改 an entry's quantity and 备注 (its key stays): counted in 修改次数, timed, its warnings checked again."""
    entry = _own(user, pk, version)
    found = Item(entry.item_code, entry.category, entry.name, entry.spec, entry.unit,
                 _decimals(entry.resource, entry.item_code))
    quantity, message = rules.parse_quantity(quantity_raw, rules.QUANTITY_LABELS[entry.report], found.decimals)
    if message:
        raise ValidationFailed([FieldError("quantity", message)])
    warnings = _warnings(entry.institution_id, entry.resource, entry.report, entry.day, found, quantity)
    if warnings and not confirmed:
        raise NeedsConfirmation(Checked(day=entry.day, rows=[(found, quantity, note)], warnings={1: warnings}))
    entry.quantity, entry.note, entry.warnings = quantity, (note or "").strip() or None, warnings or None
    entry.change_count = (entry.change_count or 0) + 1
    entry.changed_at, entry.changed_by_id = datetime.datetime.now(), user.id
    refresh_days(entry.institution_id, entry.resource, [entry.item_code], [entry.day], entry.report)
    return entry


def _decimals(resource, code) -> bool:
    found = item(resource, code)
    return found.decimals if found else True


@transactional
def delete(user, pk, version=None):
    """删除 an entry (audited; the regional totals no longer count it)."""
    entry = _own(user, pk, version)
    key = (entry.institution_id, entry.resource, [entry.item_code], [entry.day], entry.report)
    db.session.delete(entry)
    refresh_days(*key)


# ---- the region's figures per day (supply_day) ----------------------------------------------------------------

def refresh_days(institution_id, resource, codes, days, report_kind=rules.STOCK):
    """Rewrite the SupplyDay rows an institution's entries of `codes` on `days` enter (each day and the 6 after it)
    from the entries themselves, in the caller's transaction. A 月估用量 entry enters none. A 30-row form: one read of
    its items' entries over 13 days, one delete, one insert."""
    if report_kind not in (rules.STOCK, rules.DAILY) or not codes or not days:
        return
    db.session.flush()
    targets = sorted(rules.affected_days(days))
    _rewrite(institution_id, resource, sorted(set(codes)), targets)


def _rewrite(institution_id, resource, codes, targets, conn=None):
    conn = conn if conn is not None else db.session
    first = targets[0] - datetime.timedelta(days=rules.WINDOW_DAYS - 1)
    e = SupplyEntry
    found: dict[str, list] = {}
    for code, *rest in conn.execute(select(
            e.item_code, e.report, e.day, e.quantity, e.change_count, e.changed_at).where(
            e.institution_id == institution_id, e.resource == resource, e.item_code.in_(codes),
            e.report.in_((rules.STOCK, rules.DAILY)), e.day >= first, e.day <= targets[-1])):
        found.setdefault(code, []).append(tuple(rest))
    conn.execute(sql_delete(SupplyDay).where(
        SupplyDay.institution_id == institution_id, SupplyDay.resource == resource, SupplyDay.item_code.in_(codes),
        SupplyDay.day >= targets[0], SupplyDay.day <= targets[-1]).execution_options(synchronize_session=False))
    rows = []
    for code, series in found.items():
        for day in targets:
            figures = rules.day_figures(series, day)
            if figures is not None:
                rows.append({"institution_id": institution_id, "resource": resource, "item_code": code, "day": day,
                             "stock": figures.stock, "stock_today": int(figures.stock_today), "used": figures.used,
                             "used_today": int(figures.used_today), "average": figures.average,
                             "changes": figures.changes, "changed_at": figures.changed_at})
    if rows:
        conn.execute(SupplyDay.__table__.insert(), rows)  # Core: one executemany
    return len(rows)


def rebuild_days(institution_ids=None, conn=None) -> int:
    """Every SupplyDay row of the institutions (all when None) computed again from their entries, on `conn` (the
    migration's connection) or the session: the migration's backfill, and the check that the rows kept by report /
    update / delete are right. Returns the rows written."""
    conn = conn if conn is not None else db.session
    e = SupplyEntry
    keys = select(e.institution_id, e.resource, e.item_code, func.min(e.day), func.max(e.day)).where(
        e.report.in_((rules.STOCK, rules.DAILY))).group_by(e.institution_id, e.resource, e.item_code)
    clear = sql_delete(SupplyDay)
    if institution_ids is not None:
        keys = keys.where(e.institution_id.in_(institution_ids))
        clear = clear.where(SupplyDay.institution_id.in_(institution_ids))
    conn.execute(clear.execution_options(synchronize_session=False))
    written = 0
    for institution_id, resource, code, low, high in conn.execute(keys).all():
        targets = [low + datetime.timedelta(days=n) for n in range((high - low).days + rules.WINDOW_DAYS)]
        written += _rewrite(institution_id, resource, [code], targets, conn)
    return written


# ---- reading ---------------------------------------------------------------------------------------------------

def _query(user, resource, report_kind, day_from=None, day_to=None, name="", category=""):
    _check_kind(resource, report_kind)
    query = select(SupplyEntry).where(SupplyEntry.resource == resource, SupplyEntry.report == report_kind)
    clause = scope.scope_of(user).institutions_clause(SupplyEntry.institution_id)
    if clause is not None:
        query = query.where(clause)
    if day_from:
        query = query.where(SupplyEntry.day >= day_from)
    if day_to:
        query = query.where(SupplyEntry.day <= day_to)
    if (name or "").strip():
        query = query.where(SupplyEntry.name.contains(name.strip()))
    if (category or "").strip():
        query = query.where(SupplyEntry.category == category.strip())
    return query


def _ordered(query):
    return query.order_by(SupplyEntry.day.desc(), SupplyEntry.name, SupplyEntry.id)


def search(user, resource, report_kind, day_from=None, day_to=None, name="", category="", page=1,
           page_size=PAGE_SIZE):
    """(entries of one page, total): the caller's entries, newest day first; searches [spec] 日期 range, 名称, 类别."""
    query = _query(user, resource, report_kind, day_from, day_to, name, category)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = max(1, int(page or 1))
    rows = db.session.scalars(_ordered(query).offset((page - 1) * page_size).limit(page_size)).all()
    return rows, total


def categories(resource) -> list[str]:
    """The 类别 of a resource, for the list's search."""
    return list(SUPPLY_CATEGORIES if resource == "supply" else DRUG_DEVICE_CATEGORIES)


def key_text(entry_or_day, report_kind) -> str:
    day = getattr(entry_or_day, "day", entry_or_day)
    return _key_text(day, report_kind)


def export(user, resource, report_kind, day_from=None, day_to=None, name="", category="") -> bytes:
    """The searched list as .xlsx, one row per entry (the same columns as the list)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    query = _query(user, resource, report_kind, day_from, day_to, name, category)
    wb = Workbook()
    ws = wb.active
    ws.title = menu_name(resource, report_kind)
    region = not getattr(user, "institution_id", None)  # a regional account sees several institutions
    head = ["机构"] if region else []
    ws.append([*head, rules.DATE_LABELS[report_kind], "类别", "名称", "规格型号", "计量单位",
               rules.QUANTITY_LABELS[report_kind], "备注", "提示", "修改次数", "最后修改时间"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for e in db.session.scalars(_ordered(query)):
        ws.append([*([e.institution.name if e.institution else ""] if region else []),
                   _key_text(e.day, report_kind), e.category, e.name, e.spec or "", e.unit,
                   float(e.quantity) if e.quantity != int(e.quantity) else int(e.quantity), e.note or "",
                   "；".join(e.warnings or []), e.change_count or 0,
                   e.changed_at.strftime("%Y-%m-%d %H:%M") if e.changed_at else ""])
    ws.column_dimensions["A"].width = 12
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def days_of_supply(institution_id, resource, codes) -> dict[str, Decimal | None]:
    """可用天数 per item: its latest stock ÷ the average consumption of its last 7 reported days (None: "—").
    One statement: each item's stocks and consumptions ranked newest first, the first of each kept."""
    codes = list(codes)
    result = {code: None for code in codes}
    if not codes:
        return result
    rank = func.row_number().over(partition_by=(SupplyEntry.item_code, SupplyEntry.report),
                                  order_by=SupplyEntry.day.desc()).label("rank")
    ranked = select(SupplyEntry.item_code, SupplyEntry.report, SupplyEntry.quantity, rank).where(
        SupplyEntry.institution_id == institution_id, SupplyEntry.resource == resource,
        SupplyEntry.report.in_((rules.STOCK, rules.DAILY)), SupplyEntry.item_code.in_(codes)).subquery()
    stock: dict[str, Decimal] = {}
    used: dict[str, list[Decimal]] = {code: [] for code in codes}
    for code, report_kind, quantity, _ in db.session.execute(
            select(ranked).where(ranked.c.rank <= rules.AVERAGE_DAYS).order_by(ranked.c.item_code, ranked.c.rank)):
        if report_kind == rules.STOCK:
            stock.setdefault(code, Decimal(quantity))
        else:
            used[code].append(Decimal(quantity))
    for code in codes:
        result[code] = rules.days_of_supply(stock.get(code), used[code])
    return result


def days_of_rows(resource, rows) -> dict[tuple[int, str], Decimal | None]:
    """可用天数 of the items of listed entries: {(institution id, item code): days or None}, per institution one
    `days_of_supply` call (a region's list holds several institutions)."""
    by_institution: dict[int, set] = {}
    for r in rows:
        by_institution.setdefault(r.institution_id, set()).add(r.item_code)
    return {(inst, code): value for inst, codes in by_institution.items()
            for code, value in days_of_supply(inst, resource, sorted(codes)).items()}
