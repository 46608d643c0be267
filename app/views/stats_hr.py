"""常用报表 (issue 16): the 卫生人力基本信息 export (the annual 卫统 submission) and 证书到期提醒 — pages of the
常用报表 right without a menu entry of their own (the 常用报表 page links to them)."""
from flask_appbuilder import BaseView, expose, has_access

from app.security import pages


class HrReportView(BaseView):
    route_base = "/stats/hr"
    default_view = "basic"
    class_permission_name = pages.STAT_REPORTS.resource
    method_permission_name = {"basic": "read", "expiring": "read"}
    base_permissions = pages.STAT_REPORTS.permissions

    @expose("/basic")
    @has_access
    def basic(self):
        return self.render_template("stats/placeholder.html", title="卫生人力基本信息")

    @expose("/expiring")
    @has_access
    def expiring(self):
        return self.render_template("stats/placeholder.html", title="证书到期提醒")
