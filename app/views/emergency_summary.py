"""区域管理 → 应急资源汇总 (issue 14): totals of the reported reports over the region's institutions, drill-down
region → child region → institution → its report (read-only, with 退回 for the holder of audit), Excel export.
The rule and the 退回 are the service's (services/emergency_summary.py)."""
import datetime

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_wtf import FlaskForm

from app.domain.errors import DomainError, FieldError
from app.extensions import appbuilder
from app.models.emergency_reports import EmergencyReport
from app.security import pages
from app.services import emergency_reports as reports
from app.services import emergency_summary as svc
from app.services import supply_summary
from app.views.concurrency import opened_version
from app.views.emergency_reports import _date
from app.views.files import send_workbook
from app.views.pages import Errors, attempt, form_page


def _detail_text(detail) -> str:
    """A line's detail (how a snapshot was made, a drug's name and spec …) as one readable line."""
    if isinstance(detail, dict):
        return "；".join(f"{k}：{v}" for k, v in detail.items() if v not in (None, "", [], {}))
    if isinstance(detail, list):
        return "；".join(_detail_text(d) for d in detail)
    return "" if detail is None else str(detail)


KINDS = {**reports.KINDS, **{k: f"应急{v}" for k, v in supply_summary.LABELS.items()}}  # the picker: 4 + 物资 / 药械


class EmergencySummaryView(BaseView):
    """The summary page of the region's reported reports (one report kind, one period)."""

    route_base = "/emergencysummary"
    default_view = "index"
    class_permission_name = pages.EMERGENCY_SUMMARY.resource
    method_permission_name = {"index": "read", "export": "read", "report": "read", "return_report": "audit"}
    base_permissions = ["can_read", "can_audit"]
    scoped_model = EmergencyReport  # the tenancy sweep calls /report/<pk> and /return/<pk> with foreign ids
    edited_models = (EmergencyReport,)

    def _asked(self, errors):
        """(kind, date_from, date_to, region_code) of the query string; the last 30 days by default."""
        args = request.args
        kind = args.get("kind") if args.get("kind") in KINDS else "capacity"
        start, end = svc.default_period()
        date_from = _date(args.get("date_from"), "date_from", "上报时间（起）", errors) \
            if "date_from" in args else start
        date_to = _date(args.get("date_to"), "date_to", "上报时间（止）", errors) if "date_to" in args else end
        if date_from and date_to and date_from > date_to:
            errors.items.append(FieldError("date_to", "上报时间（止）不能早于上报时间（起）"))
        return kind, date_from, date_to, (args.get("region_code") or "").strip() or None

    def _day(self, errors):
        """The supplies part's day (?day=, today by default)."""
        if not request.args.get("day"):
            return datetime.date.today()
        return _date(request.args.get("day"), "day", "日期", errors)

    @expose("/")
    @has_access
    def index(self):
        errors = Errors()
        kind, date_from, date_to, region_code = self._asked(errors)
        if kind in supply_summary.LABELS:
            return self._supplies(kind, region_code, errors)
        result = None
        if not errors:
            result, errors = attempt(svc.totals, g.user, kind, date_from, date_to, region_code)
        query = {"kind": kind, "date_from": f"{date_from:%Y-%m-%d}" if date_from else "",
                 "date_to": f"{date_to:%Y-%m-%d}" if date_to else ""}
        return self.render_template(
            "emergency/summary.html", title=pages.EMERGENCY_SUMMARY.label, kinds=KINDS, kind=kind,
            query=query, region_code=region_code, summary=result, errors=errors, rule=svc.RULE,
            may_tasks=self._may_tasks())

    def _supplies(self, resource, region_code, errors):
        day = self._day(errors)
        result = None
        if not errors:
            result, errors = attempt(supply_summary.summary, g.user, resource, day, region_code)
        query = {"kind": resource, "day": f"{day:%Y-%m-%d}" if day else request.args.get("day", "")}
        return self.render_template(
            "emergency/summary.html", title=pages.EMERGENCY_SUMMARY.label, kinds=KINDS, kind=resource,
            query=query, region_code=region_code, supplies=result, errors=errors, rule=supply_summary.RULE,
            may_tasks=self._may_tasks(),
            fmt=supply_summary.fmt_days, low_days=supply_summary.rules.LOW_DAYS,
            lookback=supply_summary.STOCK_LOOKBACK_DAYS)

    @expose("/export/")
    @has_access
    def export(self):
        errors = Errors()
        kind, date_from, date_to, region_code = self._asked(errors)
        if kind in supply_summary.LABELS:
            day = self._day(errors)
            if not errors:
                data, errors = attempt(supply_summary.export, g.user, kind, day, region_code)
        elif not errors:
            data, errors = attempt(svc.export, g.user, kind, date_from, date_to, region_code)
        if errors:
            flash(errors.text(), "danger")
            return redirect(url_for(".index", **request.args.to_dict()))
        return send_workbook(data, f"应急资源汇总_{KINDS[kind]}_{datetime.date.today():%Y%m%d}.xlsx")

    def _report(self, pk) -> EmergencyReport:
        try:
            return svc.get(g.user, pk)
        except DomainError:
            abort(404)

    def _may_tasks(self):
        """The 上报任务 page holds each task's 上报率, the institutions not reported and 催报: linked from here."""
        return bool(self.appbuilder.sm.has_access("can_read", pages.REPORT_TASKS.resource))

    def _render_report(self, report, errors, reason=""):
        named = svc.item_names(report.kind, [line.item_code for line in report.lines])
        order = {code: n for n, (code, _, _) in enumerate(named)}
        names = {code: (name, unit) for code, name, unit in named}
        lines = [(*names.get(line.item_code, (line.item_code, "")), line.value, _detail_text(line.detail))
                 for line in sorted(report.lines, key=lambda ln: order.get(ln.item_code, len(order)))]
        may_return = bool(appbuilder.sm.has_access("can_audit", pages.EMERGENCY_SUMMARY.resource)) \
            and svc.may_return(g.user, report)
        back = url_for(".index", kind=report.kind, region_code=report.institution.region.code,
                       **{k: request.args[k] for k in ("date_from", "date_to") if request.args.get(k)})
        return self.render_template(
            "emergency/summary_report.html", title=reports.KINDS[report.kind], report=report, lines=lines,
            history=svc.history(report), may_return=may_return, errors=errors, reason=reason, form=FlaskForm(),
            back=back)

    @expose("/report/<int:pk>")
    @has_access
    def report(self, pk):
        return self._render_report(self._report(pk), Errors())

    @expose("/return/<int:pk>", methods=["POST"])
    @has_access
    def return_report(self, pk):
        report = self._report(pk)
        reason = request.form.get("reason", "")
        return form_page(
            save=lambda: svc.return_report(g.user, pk, reason, version=opened_version()),
            done=lambda r: (f"已退回{r.institution.name}上报时间为 {r.report_date:%Y-%m-%d} 的"
                            f"{reports.KINDS[r.kind]}，原因：{r.return_reason}", url_for(".report", pk=pk)),
            render=lambda errors: self._render_report(report, errors, reason))
