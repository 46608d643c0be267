"""区域管理 → 应急资源汇总, the second part (issue 15): 应急物资 / 应急药械 of one day over the caller's region.

The rules (docs/emergency.md), for a resource (物资 / 药械) and a day D, over the institutions in scope:
- 存量: each institution's latest 存量上报 of the item on or before D, within the STOCK_LOOKBACK_DAYS (7) days
  ending on D — an older stock is not a current figure; the region's 存量 is the sum of them.
- 当日消耗: the sum of the 日消耗上报 of day D; 近 7 日日均消耗: per institution the average of its 日消耗 reported in the
  7 days ending on D (days not reported are not zeros), the region's is the sum of them.
- 可用天数 = 存量 ÷ 近 7 日日均消耗 (of the region, a child region or one institution: sums ÷ sums), one decimal;
  None ("—") without consumption or without stock, never infinite. Under LOW_DAYS (7) it is highlighted and listed
  first, for items and for institutions / child regions.
- 上报存量 / 上报消耗机构 n / m per item: institutions that reported the item's stock / consumption on D, of those in
  scope.
- 修改次数 / 最后修改 per row: the changes (SupplyEntry.change_count, changed_at) of the week's entries the row
  reads, so the region sees figures changed after they were reported.
Each institution's figures of an item and a day are kept in SupplyDay (domain.supplies.day_figures), rewritten by
emergency_supplies.report / update / delete in their transaction: a 修改 or 删除 shows at once, and the summary reads
one row per institution and item (not a week of entries: docs/benchmarks.md). All in SQL: those rows grouped per
child region (or per institution at the lowest level) as in the first part (emergency_summary._by_column), plus the
institutions in scope, the child regions and the item names: four or five statements whatever the number of
institutions."""
import datetime
import io
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from sqlalchemy import func, null, select

from app.domain import supplies as rules
from app.domain.errors import DomainError
from app.extensions import db
from app.models.emergency_drugs import DrugItem
from app.models.emergency_supplies import RESOURCES, SupplyDay, SupplyItem
from app.models.org import Institution, Region
from app.services import scope
from app.services.emergency_summary import _by_column, _root, _trail, region_for
from app.services.emergency_supplies import DRUG_PREFIX

STOCK_LOOKBACK_DAYS = rules.WINDOW_DAYS  # a stock older than a week is not a current figure
RULE = (f"存量取各机构当日或之前最近一次上报（{STOCK_LOOKBACK_DAYS} 天内）；"
        f"日均消耗为近 {rules.AVERAGE_DAYS} 日已上报消耗的平均；"
        f"可用天数 = 存量 ÷ 日均消耗，不足 {rules.LOW_DAYS} 天的排在前面并标红，无消耗显示“—”")
LABELS = {"supply": "物资", "drugdevice": "药械"}


def _days(stock, average) -> Decimal | None:
    if stock is None or not average or average <= 0:
        return None
    return (Decimal(stock) / Decimal(average)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _dec(value) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


@dataclass
class ItemRow:
    """One item over the whole region shown."""

    code: str
    name: str
    unit: str
    stock: Decimal | None = None
    used: Decimal | None = None  # 当日消耗
    average: Decimal | None = None  # 近 7 日日均消耗
    stock_reporters: int = 0
    daily_reporters: int = 0

    @property
    def days(self):
        return _days(self.stock, self.average)

    @property
    def low(self):
        return rules.is_low(self.days)


@dataclass
class SupplyUnit:
    """A child region, or an institution (at the lowest level / attached to the region itself)."""

    key: tuple
    label: str
    region_code: str | None = None
    institution_id: int | None = None
    in_scope: int = 0
    stock: dict = field(default_factory=dict)  # item code → Decimal
    average: dict = field(default_factory=dict)
    changes: int = 0
    changed_at: datetime.datetime | None = None

    def days(self, code):
        return _days(self.stock.get(code), self.average.get(code))

    @cached_property  # read once the rows are in (the sort asks it twice per unit)
    def lowest(self):
        found = [d for d in (self.days(c) for c in self.stock) if d is not None]
        return min(found) if found else None

    @property
    def low(self):
        return rules.is_low(self.lowest)


@dataclass
class SupplySummary:
    resource: str
    day: datetime.date
    region: Region | None
    trail: list
    items: list  # [ItemRow], low ones first
    units: list  # [SupplyUnit], low ones first
    in_scope: int = 0


def _per_institution(resource, day, region):
    """Subquery: one row per institution and item with its figures of the day (SupplyDay, kept with the entries:
    the latest stock of the week, the day's consumption, the 7-day average, whether it reported stock / consumption
    on the day, the week's changes)."""
    d = SupplyDay
    stmt = select(d.institution_id, d.item_code, d.stock, d.stock_today, d.used, d.used_today, d.average,
                  d.changes, d.changed_at).where(d.resource == resource, d.day == day)
    if region is not None:
        stmt = stmt.where(d.institution_id.in_(scope.region_institution_ids(region.path)))
    return stmt.subquery("per_institution")


def item_names(resource, codes) -> dict[str, tuple[str, str]]:
    """{code: (name with 规格, unit)} from the catalogues (SupplyItem; DrugItem for "drug:" codes), whatever their
    state; a code in neither keeps its own text. Two statements at most."""
    names = {}
    plain = [c for c in codes if not c.startswith(DRUG_PREFIX)]
    drugs = {c[len(DRUG_PREFIX):]: c for c in codes if c.startswith(DRUG_PREFIX)}
    if plain:
        for it in db.session.scalars(select(SupplyItem).where(SupplyItem.code.in_(plain))):
            names[it.code] = (it.name + (f"（{it.spec}）" if it.spec else ""), it.unit)
    if drugs:
        for d in db.session.scalars(select(DrugItem).where(DrugItem.code.in_(list(drugs)))):
            spec = f"{d.dosage_form} {d.spec}".strip()
            names[drugs[d.code]] = (d.name + (f"（{spec}）" if spec else ""), d.unit)
    return {c: names.get(c, (c, "")) for c in codes}


def summary(user, resource, day=None, region_code=None) -> SupplySummary:
    """The day's supplies summary of the caller's region (or `region_code` inside it) — see the module."""
    if resource not in RESOURCES:
        raise DomainError("未知的资源类别")
    day = day or datetime.date.today()
    root = _root(user)
    region = region_for(user, region_code)
    per = _per_institution(resource, day, region)
    children = list(db.session.scalars(select(Region).where(
        Region.parent_id == region.id if region is not None else Region.parent_id.is_(None)).order_by(Region.code)))
    if region is not None and not children:  # the lowest level: one unit per institution, its rows as they are
        rows = db.session.connection().execute(select(
            null(), per.c.institution_id, per.c.item_code, per.c.stock, per.c.used, per.c.average, per.c.stock_today,
            per.c.used_today, per.c.changes, per.c.changed_at)).all()
    else:
        rows = _by_column(region, lambda *k: (
            select(*k, per.c.item_code, func.sum(per.c.stock).label("s"), func.sum(per.c.used).label("u"),
                   func.sum(per.c.average).label("a"), func.sum(per.c.stock_today).label("ns"),
                   func.sum(per.c.used_today).label("nd"), func.sum(per.c.changes).label("c"),
                   func.max(per.c.changed_at).label("t"))
            .select_from(per).join(Institution, Institution.id == per.c.institution_id), [per.c.item_code]),
            lambda sub: [func.sum(sub.c.s), func.sum(sub.c.u), func.sum(sub.c.a), func.sum(sub.c.ns),
                         func.sum(sub.c.nd), func.sum(sub.c.c), func.max(sub.c.t)])
    counted = _by_column(region, lambda *k: (
        select(*k, func.count(Institution.id).label("n"), func.min(Institution.name).label("name")), []),
        lambda sub: [func.sum(sub.c.n), func.min(sub.c.name)])

    units = {("r", c.id): SupplyUnit(("r", c.id), c.name, region_code=c.code) for c in children}
    for child_id, inst_id, number, name in counted:
        key = ("r", child_id) if child_id is not None else ("i", inst_id)
        units.setdefault(key, SupplyUnit(key, name, institution_id=inst_id)).in_scope = int(number)
    items: dict[str, ItemRow] = {}
    names = item_names(resource, sorted({row[2] for row in rows}))
    for child_id, inst_id, code, s, u, a, ns, nd, c, t in rows:
        key = ("r", child_id) if child_id is not None else ("i", inst_id)
        found = units[key]
        s, u, a = _dec(s), _dec(u), _dec(a)
        if s is not None:
            found.stock[code] = s
        if a is not None:
            found.average[code] = a
        found.stock.setdefault(code, None)
        found.changes += int(c or 0)
        t = _moment(t)
        if t and (found.changed_at is None or t > found.changed_at):
            found.changed_at = t
        row = items.setdefault(code, ItemRow(code, *names[code]))
        row.stock = _add(row.stock, s)
        row.used = _add(row.used, u)
        row.average = _add(row.average, a)
        row.stock_reporters += int(ns or 0)
        row.daily_reporters += int(nd or 0)
    ordered_items = sorted(items.values(), key=lambda r: (not r.low, r.days if r.low else 0, r.code))
    ordered_units = [u for u in units.values() if u.key[0] == "r"] + sorted(
        (u for u in units.values() if u.key[0] == "i"), key=lambda u: u.label)
    ordered_units.sort(key=lambda u: (not u.low, u.lowest if u.low else 0))  # stable: the others keep their order
    return SupplySummary(resource, day, region, _trail(root, region), ordered_items, ordered_units,
                         sum(u.in_scope for u in ordered_units))


def _add(total, value):
    if value is None:
        return total
    return value if total is None else total + value


def _moment(value):
    if isinstance(value, str):  # SQLite hands a MAX over a CASE back as text
        return datetime.datetime.fromisoformat(value)
    return value


def fmt_days(days) -> str:
    return rules.fmt(days)


def export(user, resource, day=None, region_code=None) -> bytes:
    """The page's two tables as .xlsx: 按物资 (totals, 可用天数, n / m) and 按地区/机构 (可用天数 per item, 修改次数)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    result = summary(user, resource, day, region_code)
    low = PatternFill("solid", fgColor="F8D7DA")
    wb = Workbook()
    ws = wb.active
    ws.title = "按项目"
    where = result.region.name if result.region is not None else "全部地区"
    ws.append([f"应急{LABELS[resource]}汇总 · {where} · {result.day:%Y-%m-%d}"])
    ws.append([RULE])
    ws.append(["名称", "单位", "存量合计", "当日消耗", f"近{rules.AVERAGE_DAYS}日日均消耗", "可用天数",
               "上报存量机构", "上报消耗机构"])
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for row in result.items:
        ws.append([row.name, row.unit, _num(row.stock), _num(row.used), _num(_round(row.average)), _num(row.days),
                   f"{row.stock_reporters} / {result.in_scope}", f"{row.daily_reporters} / {result.in_scope}"])
        if row.low:
            ws.cell(ws.max_row, 6).fill = low
    ws.column_dimensions["A"].width = 30
    units = wb.create_sheet("按地区机构")
    units.append(["地区 / 机构", "机构数", *(r.name for r in result.items), "修改次数", "最后修改时间"])
    for cell in units[1]:
        cell.font = Font(bold=True)
    for unit in result.units:
        units.append([unit.label, unit.in_scope, *(_num(unit.days(r.code)) if unit.days(r.code) is not None else "—"
                                                   for r in result.items),
                      unit.changes, unit.changed_at.strftime("%Y-%m-%d %H:%M") if unit.changed_at else ""])
        for n, r in enumerate(result.items, start=3):
            if rules.is_low(unit.days(r.code)):
                units.cell(units.max_row, n).fill = low
    units.column_dimensions["A"].width = 30
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _round(value):
    return None if value is None else Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _num(value):
    if value is None:
        return "—"
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)
