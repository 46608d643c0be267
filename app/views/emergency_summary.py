"""区域管理 → 应急资源汇总 (issue 14): totals of the reported reports over the region's institutions, drill-down
region → institution → report, Excel export; 退回 of a reported report with a reason."""
from flask_appbuilder import BaseView, expose, has_access

from app.security import pages


class EmergencySummaryView(BaseView):
    """The summary page of the region's reported reports (one per report kind and date or period)."""

    route_base = "/emergencysummary"
    default_view = "index"
    class_permission_name = pages.EMERGENCY_SUMMARY.resource
    method_permission_name = {"index": "read"}
    base_permissions = ["can_read", "can_audit"]

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("emergency/summary.html", title=pages.EMERGENCY_SUMMARY.label)
