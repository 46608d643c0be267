"""统计分析 → 常用报表 (spec 6.2, issue 16): standard reports on the page, each exportable as a formatted workbook."""
from flask_appbuilder import BaseView, expose, has_access

from app.security import pages


class StatReportView(BaseView):
    route_base = "/stats/reports"
    default_view = "index"
    class_permission_name = pages.STAT_REPORTS.resource
    method_permission_name = {"index": "read"}
    base_permissions = pages.STAT_REPORTS.permissions

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("stats/placeholder.html", title=pages.STAT_REPORTS.label)
