"""区域管理 → 统计概览 (issue 16): the region's staff composition, its institutions compared, staff in post by month,
each chart with its table and drill-down (region → institution → staff list, within scope)."""
from flask_appbuilder import BaseView, expose, has_access

from app.security import pages


class RegionStatsView(BaseView):
    route_base = "/region/stats"
    default_view = "index"
    class_permission_name = pages.REGION_STATS.resource
    method_permission_name = {"index": "read"}
    base_permissions = pages.REGION_STATS.permissions

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("stats/placeholder.html", title=pages.REGION_STATS.label)
