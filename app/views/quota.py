"""STUB: replaced by the implementation."""
from flask_appbuilder import BaseView, expose, has_access


class QuotaView(BaseView):
    """STUB"""

    route_base = "/quota"
    default_view = "list"
    class_permission_name = "机构编制管理"
    method_permission_name = {"list": "read", "save": "write"}
    base_permissions = ["can_read", "can_write"]

    @expose("/list/")
    @has_access
    def list(self):
        return "机构编制管理"

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):
        return "机构编制管理"


class QuotaAllocationView(BaseView):
    """STUB"""

    route_base = "/quotaallocation"
    default_view = "list"
    class_permission_name = "编制分配"
    method_permission_name = {"list": "read", "save": "write"}
    base_permissions = ["can_read", "can_write"]

    @expose("/list/")
    @has_access
    def list(self):
        return "编制分配"

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):
        return "编制分配"
