"""区域管理 → 应急资源汇总 (issue 14): the region's totals of the reported emergency reports, and 退回.

The rule of the totals: over the institutions in the caller's scope (a region account: its subtree; drill down with
`region_code`), only 已上报 reports count (not 未上报, not 已退回), and of each institution only its LATEST reported
report of the kind within the period (report_date, then reported_at, then id) — the figures are stock-like (beds,
vehicles, drugs in store), so two reports of one institution are never added together. Sums are per item, per
child region (or per institution at the lowest level, and for institutions attached to the region itself), all in
SQL (GROUP BY over a window-numbered subquery): a fixed number of statements whatever the number of institutions.

退回 goes through the review engine (services/reviews.py): 已上报 plays the machine's 待审核, 已退回 its 已驳回, the
reason is the opinion (kept in emergency_report.return_reason) and every 退回 leaves a ReviewRecord (who, when, why).
The institution then edits the report and 上报s it again (services/emergency_reports.py)."""
import datetime
import io
from dataclasses import dataclass, field

from sqlalchemy import and_, case, false, func, select, true
from sqlalchemy.orm import aliased

from app.domain import review
from app.domain.errors import DomainError, ValidationFailed
from app.extensions import db
from app.models.emergency_drugs import DrugItem
from app.models.emergency_reports import EmergencyIndicator, EmergencyReport, EmergencyReportLine
from app.models.org import Institution, Region
from app.services import concurrency, reviews, scope
from app.services import emergency_reports as reports
from app.services.transaction import transactional

RULE = "每个机构取期间内最近一次已上报的数据（未上报、已退回的不计入）"
REGION_NOT_FOUND = "该地区不存在，或不在您的管理范围内"
REASON_REQUIRED = "请填写退回原因"
DEFAULT_DAYS = 30


def default_period(today=None) -> tuple[datetime.date, datetime.date]:
    today = today or datetime.date.today()
    return today - datetime.timedelta(days=DEFAULT_DAYS), today


@dataclass
class Unit:
    """One column of the summary: a child region or an institution (with its latest reported report, if any)."""

    key: tuple
    label: str
    region_code: str | None = None
    institution_id: int | None = None
    report_id: int | None = None
    reported: int = 0
    in_scope: int = 0


@dataclass
class Summary:
    kind: str
    date_from: datetime.date
    date_to: datetime.date
    region: Region | None  # None: the whole country (系统管理员)
    trail: list  # the regions from the caller's own down to `region` (the drill-down's breadcrumb)
    items: list  # [(code, name, unit)]
    units: list  # [Unit]
    values: dict = field(default_factory=dict)  # {(unit key, item code): sum}
    totals: dict = field(default_factory=dict)  # {item code: sum}
    reported: int = 0
    in_scope: int = 0


# ---- where -----------------------------------------------------------------------------------------------------

def _root(user) -> Region | None:
    """The caller's own region (None for 系统管理员: every region); an institution account has no such page."""
    return scope.own_region(user, "只有区域管理账号可以查看应急资源汇总")


def region_for(user, region_code=None) -> Region | None:
    """The region shown: the caller's own, or `region_code` inside it (DomainError otherwise)."""
    root = _root(user)
    if not region_code or (root is not None and region_code == root.code):
        return root
    region = db.session.scalar(select(Region).where(Region.code == str(region_code)))
    if region is None or (root is not None and not region.path.startswith(root.path)):
        raise DomainError(REGION_NOT_FOUND)
    return region


_trail = scope.region_trail


# ---- the totals ------------------------------------------------------------------------------------------------

def _by_column(region, inner, outer):
    """Group in two steps, both in SQL: `inner(region_id, inst_key)` groups the rows by the institution's own region
    (and by institution for those attached to `region` itself: `inst_key`, NULL otherwise) — a few rows per region,
    whatever the number of institutions; then each region's rows go to the child region of `region` that holds it
    (one path prefix match per region, not per row). `outer(sub)` gives the aggregates over the inner subquery's
    columns. Rows: (child region id or None, institution id or None, *extra keys, *aggregates)."""
    inst_key = case((Institution.region_id == region.id, Institution.id)) if region is not None else \
        case((false(), Institution.id))
    stmt, extra = inner(Institution.region_id.label("rid"), inst_key.label("iid"))
    if region is not None:
        stmt = stmt.where(Institution.region_id.in_(select(Region.id).where(Region.path.startswith(region.path))))
    sub = stmt.group_by(Institution.region_id, inst_key, *extra).subquery()
    own, child = aliased(Region), aliased(Region)
    parent = child.parent_id == region.id if region is not None else child.parent_id.is_(None)
    keys = [sub.c[e.key] for e in extra]
    query = (select(child.id, sub.c.iid, *keys, *outer(sub)).select_from(sub).join(own, own.id == sub.c.rid)
             .outerjoin(child, and_(parent, own.path.startswith(child.path))).group_by(child.id, sub.c.iid, *keys))
    return db.session.connection().execute(query).all()  # plain rows: no ORM loading (a county: 7,000 of them)


def _latest(kind, date_from, date_to, region):
    """Subquery (id, institution_id) of each institution's latest reported report of the kind in the period."""
    number = func.row_number().over(
        partition_by=EmergencyReport.institution_id,
        order_by=(EmergencyReport.report_date.desc(), EmergencyReport.reported_at.desc(), EmergencyReport.id.desc()))
    stmt = select(EmergencyReport.id, EmergencyReport.institution_id, number.label("n")).where(
        EmergencyReport.kind == kind, EmergencyReport.status == reports.REPORTED)
    if date_from:
        stmt = stmt.where(EmergencyReport.report_date >= date_from)
    if date_to:
        stmt = stmt.where(EmergencyReport.report_date <= date_to)
    if region is not None:
        stmt = stmt.where(EmergencyReport.institution_id.in_(scope.region_institution_ids(region.path)))
    numbered = stmt.subquery()
    return select(numbered.c.id, numbered.c.institution_id).where(numbered.c.n == 1).subquery("latest")


def item_names(kind, codes) -> list[tuple[str, str, str]]:
    """[(code, name, unit)] of the items: the catalogue's order first (every active indicator, reported or not),
    then the other codes met (an inactive indicator; for drugs DrugItem, else the line's own detail name)."""
    codes = set(codes)
    if kind == "drug":
        known = {d.code: (d.name + (f"（{d.spec}）" if d.spec else ""), d.unit) for d in db.session.scalars(
            select(DrugItem).where(DrugItem.code.in_(codes)))} if codes else {}
        missing = codes - set(known)
        if missing:
            first = select(func.min(EmergencyReportLine.id)).where(
                EmergencyReportLine.item_code.in_(missing)).group_by(EmergencyReportLine.item_code)
            for line in db.session.scalars(select(EmergencyReportLine).where(EmergencyReportLine.id.in_(first))):
                detail = line.detail if isinstance(line.detail, dict) else {}
                known[line.item_code] = (detail.get("name") or line.item_code, detail.get("unit") or "")
        return sorted(((c, *known[c]) for c in codes), key=lambda t: (t[1], t[0]))
    indicators = list(db.session.scalars(select(EmergencyIndicator).where(EmergencyIndicator.kind == kind)
                                         .order_by(EmergencyIndicator.order)))
    names = [(i.code, ("　其中：" if i.total_code else "") + i.name, i.unit or "") for i in indicators
             if i.active or i.code in codes]
    seen = {c for c, _, _ in names}
    return names + [(c, c, "") for c in sorted(codes - seen)]


def totals(user, kind, date_from=None, date_to=None, region_code=None) -> Summary:
    """The summary of one report kind over the caller's region (or `region_code` inside it) — see the module."""
    if kind not in reports.KINDS:
        raise DomainError("未知的上报类型")
    root = _root(user)
    region = region_for(user, region_code)
    latest = _latest(kind, date_from, date_to, region)

    line = EmergencyReportLine
    sums = _by_column(region, lambda *k: (
        select(*k, line.item_code, func.sum(line.value).label("v")).select_from(latest)
        .join(line, line.report_id == latest.c.id).join(Institution, Institution.id == latest.c.institution_id),
        [line.item_code]), lambda sub: [func.sum(sub.c.v)])
    reported = _by_column(region, lambda *k: (
        select(*k, func.count().label("n"), func.max(latest.c.id).label("last")).select_from(latest)
        .join(Institution, Institution.id == latest.c.institution_id), []),
        lambda sub: [func.sum(sub.c.n), func.max(sub.c.last)])
    counted = _by_column(region, lambda *k: (
        select(*k, func.count(Institution.id).label("n"), func.min(Institution.name).label("name")), []),
        lambda sub: [func.sum(sub.c.n), func.min(sub.c.name)])

    children = list(db.session.scalars(select(Region).where(
        Region.parent_id == region.id if region is not None else Region.parent_id.is_(None)).order_by(Region.code)))
    units = {("r", c.id): Unit(("r", c.id), c.name, region_code=c.code) for c in children}
    for child_id, inst_id, number, name in counted:
        key = ("r", child_id) if child_id is not None else ("i", inst_id)
        unit = units.setdefault(key, Unit(key, name, institution_id=inst_id))
        unit.in_scope = int(number)
    for child_id, inst_id, number, last_id in reported:
        unit = units[("r", child_id) if child_id is not None else ("i", inst_id)]
        unit.reported = int(number)
        if inst_id is not None:
            unit.report_id = last_id
    summary = Summary(kind, date_from, date_to, region, _trail(root, region), [], [])
    for child_id, inst_id, code, total in sums:
        key = ("r", child_id) if child_id is not None else ("i", inst_id)
        summary.values[(key, code)] = int(total or 0)
        summary.totals[code] = summary.totals.get(code, 0) + int(total or 0)
    summary.items = item_names(kind, summary.totals)
    summary.units = [u for u in units.values() if u.key[0] == "r"] + sorted(
        (u for u in units.values() if u.key[0] == "i"), key=lambda u: u.label)
    summary.reported = sum(u.reported for u in summary.units)
    summary.in_scope = sum(u.in_scope for u in summary.units)
    return summary


def export(user, kind, date_from=None, date_to=None, region_code=None) -> bytes:
    """The page's table as .xlsx: items × (合计, each child region / institution), then 已上报机构 n / m."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    summary = totals(user, kind, date_from, date_to, region_code)
    wb = Workbook()
    ws = wb.active
    ws.title = "应急资源汇总"
    where = summary.region.name if summary.region is not None else "全部地区"
    period = f"{_day(date_from) or '不限'} 至 {_day(date_to) or '不限'}"
    ws.append([f"{reports.KINDS[kind]}汇总 · {where} · 上报时间 {period}"])
    ws.append([f"{RULE}；“—”表示期间内未上报"])
    ws.append(["指标", "单位", "合计", *(u.label for u in summary.units)])
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for code, name, unit in summary.items:
        ws.append([name, unit, summary.totals.get(code, 0),
                   *(summary.values.get((u.key, code), 0) if u.reported else "—" for u in summary.units)])
    ws.append(["已上报机构 / 机构数", "", f"{summary.reported} / {summary.in_scope}",
               *(f"{u.reported} / {u.in_scope}" for u in summary.units)])
    ws.column_dimensions["A"].width = 30
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _day(value):
    return value.strftime("%Y-%m-%d") if value else ""


# ---- 退回 --------------------------------------------------------------------------------------------------------

def _reviewable(reviewer):
    """The reports a reviewer may see and 退回: reported or returned ones of the institutions in a region account's
    scope (系统管理员: all); an institution account never."""
    sc = scope.scope_of(reviewer)
    if sc.kind not in ("region", "all"):
        return select(EmergencyReport).where(false())
    clause = sc.institutions_clause(EmergencyReport.institution_id)
    return select(EmergencyReport).where(EmergencyReport.status != reports.DRAFT,
                                         clause if clause is not None else true())


REVIEW = reviews.Reviewable(kind="emergency_report", model=EmergencyReport, reviewable=_reviewable,
                            not_found=reports.NOT_FOUND, opinion="return_reason",
                            states={review.DRAFT: reports.DRAFT, review.SUBMITTED: reports.REPORTED,
                                    review.REJECTED: reports.RETURNED})


def get(reviewer, pk) -> EmergencyReport:
    """A reported (or returned) report the reviewer may see (DomainError otherwise: views answer 404)."""
    return reviews.get_for_review(REVIEW, reviewer, pk)


def may_return(reviewer, report) -> bool:
    return report.status == reports.REPORTED and reviews.may_review(REVIEW, reviewer, report)


@transactional
def return_report(reviewer, pk, reason, version=None) -> EmergencyReport:
    """退回 a reported report with a reason: 已上报 → 已退回 (the institution may edit and 上报 it again)."""
    report = get(reviewer, pk)
    concurrency.check(report, version, reports.LABELS)
    if report.status != reports.REPORTED:
        raise DomainError(f"该记录当前为“{report.status}”，只有已上报的记录可以退回")
    if review.opinion_text(reason) is None:
        raise ValidationFailed([("reason", REASON_REQUIRED)])
    return reviews.decide(REVIEW, reviewer, pk, "reject", reason)


def history(report) -> list:
    return reviews.history(REVIEW, report)
