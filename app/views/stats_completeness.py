"""常用统计 → 资料完整度 (spec 6.1, issue 16): per department and per field, the share of staff whose ★ fields are
filled, and the list of what is missing, each line linking to the person. A page of the 常用统计 right without a menu
entry of its own (常用统计 links to it)."""
from flask_appbuilder import BaseView, expose, has_access

from app.security import pages


class CompletenessView(BaseView):
    route_base = "/stats/completeness"
    default_view = "index"
    class_permission_name = pages.STATS.resource
    method_permission_name = {"index": "read"}
    base_permissions = pages.STATS.permissions

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("stats/placeholder.html", title="资料完整度")
