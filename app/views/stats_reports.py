"""统计分析 → 常用报表 (spec 6.2, issue 16): standard reports on the page, each exportable as a formatted workbook.

The figures are the service's (services/stat_reports.py); the page and the workbook show the same `Report`s."""
import datetime

from flask import abort, g, request
from flask_appbuilder import BaseView, expose, has_access

from app.domain.dates import parse_date
from app.domain.errors import DomainError
from app.security import pages
from app.services import stat_reports
from app.services.workbooks import report_workbook
from app.views.files import send_workbook
from app.views.pages import Errors


def _day(key, label, default, problems):
    try:
        return parse_date(request.args.get(key, "").strip(), label) or default
    except ValueError as exc:
        problems.append((key, str(exc)))
        return default


def _query(key):
    """What the report's form asked (institution, 统计时点 or period), the defaults for what is blank or wrong, and
    the problems (field, message) of what was wrong."""
    today = datetime.date.today()
    problems = []
    chosen = request.args.get("institution", "").strip()
    asked = {"institution": chosen if chosen.isdigit() else None}
    if chosen and not chosen.isdigit():
        problems.append(("institution", "请从下拉列表中选择机构"))
    if key == "flow":
        asked["start"] = _day("start", "开始日期", today.replace(month=1, day=1), problems)
        asked["end"] = _day("end", "结束日期", today, problems)
        if asked["start"] > asked["end"]:
            problems.append(("end", "结束日期不能早于开始日期"))
            asked["start"], asked["end"] = asked["end"], asked["start"]
    elif key in ("basic", "departments"):
        asked["on"] = _day("on", "统计时点", today, problems)
        if asked["on"] > today:
            problems.append(("on", f"统计时点不能晚于今天（{today.isoformat()}）"))
            asked["on"] = today
    return asked, problems


class StatReportView(BaseView):
    route_base = "/stats/reports"
    default_view = "index"
    class_permission_name = pages.STAT_REPORTS.resource
    method_permission_name = {"index": "read", "show": "read", "export": "export"}
    base_permissions = pages.STAT_REPORTS.permissions

    def _reports(self, key):
        if key not in stat_reports.BY_KEY:
            abort(404)
        asked, problems = _query(key)
        try:
            return asked, stat_reports.build(g.user, key, **asked), Errors(problems)
        except DomainError as exc:
            return asked, [], Errors(problems) + Errors(exc)

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("stats/reports_index.html", kinds=stat_reports.KINDS)

    @expose("/<key>/")
    @has_access
    def show(self, key):
        asked, reports, errors = self._reports(key)
        return self.render_template(
            "stats/reports_show.html", kind=stat_reports.BY_KEY[key], asked=asked, reports=reports, errors=errors,
            institutions=stat_reports.institutions(g.user),
            can_export=self.appbuilder.sm.has_access("can_export", self.class_permission_name))

    @expose("/<key>/export")
    @has_access
    def export(self, key):
        asked, reports, errors = self._reports(key)
        if not reports:
            abort(404)
        kind = stat_reports.BY_KEY[key]
        stamp = reports[0].as_of.replace("-", "").replace(" 至 ", "-")
        return send_workbook(report_workbook(reports, stat_reports.sheet_titles(reports)),
                             f"{kind.title}_{reports[0].institution}_{stamp}.xlsx")
