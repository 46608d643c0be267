"""STUB: replaced by the implementation."""
from flask_appbuilder import BaseView, expose, has_access


class DepartmentView(BaseView):
    """STUB"""

    route_base = "/departments"
    default_view = "list"
    class_permission_name = "部门管理"
    method_permission_name = {"list": "read", "save": "write"}
    base_permissions = ["can_read", "can_write"]

    @expose("/list/")
    @has_access
    def list(self):
        return "部门管理"

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):
        return "部门管理"
