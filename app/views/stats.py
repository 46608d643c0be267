"""统计分析 → 常用统计 (spec 6.1, issue 16): staff counted by one or two dimensions, as a table and a chart
(Apache ECharts from app/static/vendor), each count linking to the staff behind it (drill-down): the 人员信息管理
list for an institution account, the read-only 统计人员名单 (/stats/staff/) for a regional one.

Counting, scope and the meaning of the parameters live in services/stats.py; this module reads the request,
calls it and renders."""
import math

from flask import g, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.domain.errors import DomainError
from app.domain.person import ACTIVE_STATUSES
from app.extensions import db
from app.models.people import Person
from app.security import pages
from app.services import dictionaries, keygroups, stats
from app.services.departments import tree

DEFAULT_ROWS = "department"
CHARTS = ("bar", "pie")
PER_PAGE = 20


def drill_endpoint() -> str:
    """Where a count links to: 人员信息管理 for an institution account that may read it, else 统计人员名单."""
    from flask import current_app

    if getattr(g.user, "institution_id", None) and current_app.appbuilder.sm.has_access(
            "can_read", pages.PEOPLE.resource):
        return "PersonView.list"
    return "StatsView.staff"


def drill_url(endpoint: str, query: stats.Query, values: dict) -> str:
    """The staff list of one cell (`values`: dimension → code)."""
    return url_for(endpoint, **stats.drill_args(query.filters, values, query.institution_id, query.region_code))


def back_url(query: stats.Query) -> str:
    """The 常用统计 page a drill-down came from: its dimensions and filters."""
    dims = list(query.values)
    args = stats.filter_args(query.filters, query.institution_id, query.region_code)
    if dims:
        args["rows"] = dims[0]
    if len(dims) > 1:
        args["cols"] = dims[1]
    return url_for("StatsView.index", **args)


def _department_choices(institution_id):
    out = []

    def walk(nodes):
        for node in nodes:
            out.append((node.id, "\u3000" * (node.depth - 1) + ("└ " if node.depth > 1 else "") + node.name))
            walk(node.children)

    walk(tree(institution_id))
    return out


def chart_data(table: stats.StatTable, query: stats.Query, row_dim, col_dim, endpoint) -> dict:
    """What static/js/stats.js draws: labels, counts and the drill-down link of every row, column and cell."""
    rows = [{"label": label, "total": table.row_total(code), "url": drill_url(endpoint, query, {row_dim.key: code})}
            for code, label in table.rows]
    out = {"rowLabel": row_dim.label, "rows": rows, "total": table.total}
    if col_dim is not None:
        out["colLabel"] = col_dim.label
        out["cols"] = [{"label": label, "total": table.col_total(code)} for code, label in table.cols]
        out["cells"] = [[{"n": table.cell(r, c), "url": drill_url(endpoint, query, {row_dim.key: r, col_dim.key: c})}
                         for c, _ in table.cols] for r, _ in table.rows]
    return out


class StatsView(BaseView):
    route_base = "/stats"
    default_view = "index"
    class_permission_name = pages.STATS.resource
    method_permission_name = {"index": "read", "staff": "read"}
    base_permissions = pages.STATS.permissions

    @expose("/")
    @has_access
    def index(self):
        user = g.user
        rows = request.args.get("rows") or DEFAULT_ROWS
        cols = request.args.get("cols") or None
        chart = request.args.get("chart") if request.args.get("chart") in CHARTS else "bar"
        errors, table, query = [], None, stats.Query()
        try:
            filters, institution_id, region_code = stats.parse_filters(request.args)
            query = stats.Query(filters, institution_id, region_code)
            table = stats.count(user, rows, cols, filters=filters, institution_id=institution_id,
                                region_code=region_code)
        except DomainError as exc:
            errors.append(exc.message)
        row_dim = stats.DIMENSIONS.get(rows)
        col_dim = stats.DIMENSIONS.get(cols) if cols else None
        # the institution the 科室 and 人员标签 pickers belong to: the account's own, or the one picked
        # (a picked one only once the statistic accepted it: never the departments of an institution out of scope)
        inst_id = getattr(user, "institution_id", None) or (query.institution_id if table is not None else None)
        regional = not getattr(user, "institution_id", None)
        institutions, institution_total = ([], 0)
        regions = []
        if regional:
            regions = stats.region_choices(user)
            try:
                institutions, institution_total = stats.institution_choices(user, query.region_code)
            except DomainError:
                institutions, institution_total = stats.institution_choices(user)
        statuses = [d.name for d in dictionaries.items("staff_status", active_only=False)]
        chosen = set(query.filters.statuses or ACTIVE_STATUSES)
        endpoint = drill_endpoint()
        data = chart_data(table, query, row_dim, col_dim, endpoint) if table is not None and table.total else None
        return self.render_template(
            "stats/index.html", title=pages.STATS.label, table=table, data=data, errors=errors,
            dimensions=stats.dimension_choices(), rows=rows, cols=cols or "", row_dim=row_dim, col_dim=col_dim,
            chart=chart, query=query, statuses=statuses, chosen_statuses=chosen, regional=regional,
            regions=regions, institutions=institutions, institution_total=institution_total,
            picker_max=stats.PICKER_MAX,
            departments=_department_choices(inst_id) if inst_id else [],
            key_groups=[(k.id, k.name + ("（已封存）" if k.archived else ""))
                        for k, _ in keygroups.groups_with_counts(inst_id)] if inst_id else [],
            drill=lambda values: drill_url(endpoint, query, values),
            share=lambda n, base: f"{(100.0 * n / base):.1f}%" if base else "—")

    @expose("/staff/")
    @has_access
    def staff(self):
        """统计人员名单: the staff of one cell of a statistic, read-only, within the caller's scope (regional
        accounts; an institution account drills into 人员信息管理)."""
        user = g.user
        errors, items, total, described = [], [], 0, []
        query = stats.Query()
        try:
            query = stats.parse_drill(request.args) or stats.Query()
            where = stats.staff_clause(user, filters=query.filters, institution_id=query.institution_id,
                                       region_code=query.region_code, values=query.values)
            described = stats.describe(user, query)
        except DomainError as exc:
            errors.append(exc.message)
            where = None
        try:
            page = max(int(request.args.get("page", 1)), 1)
        except ValueError:
            page = 1
        pages_n = 1
        if where is not None:
            total = db.session.scalar(select(func.count(Person.id)).where(*where))
            pages_n = max(math.ceil(total / PER_PAGE), 1)
            page = min(page, pages_n)
            items = db.session.scalars(
                select(Person).where(*where)
                .options(joinedload(Person.institution), joinedload(Person.department), joinedload(Person.post))
                .order_by(Person.institution_id, Person.name, Person.id)
                .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).unique().all()
        sexes = {d.code: (d.extra or {}).get("short") or d.name
                 for d in dictionaries.items("sex", active_only=False)}
        args = {k: request.args.getlist(k) for k in request.args if k != "page"}
        return self.render_template(
            "stats/staff.html", title="统计人员名单", items=items, total=total, page=page, pages=pages_n,
            args=args, errors=errors, described=described, sexes=sexes, back=back_url(query))
