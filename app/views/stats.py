"""统计分析 → 常用统计 (spec 6.1, issue 16): staff counted by one or two dimensions, as a table and a chart, with
drill-down to the staff list; 资料完整度."""
from flask_appbuilder import BaseView, expose, has_access

from app.security import pages


class StatsView(BaseView):
    route_base = "/stats"
    default_view = "index"
    class_permission_name = pages.STATS.resource
    method_permission_name = {"index": "read"}
    base_permissions = pages.STATS.permissions

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("stats/placeholder.html", title=pages.STATS.label)
