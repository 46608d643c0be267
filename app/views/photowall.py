"""STUB: 人员信息查询 and 人员标签管理 (replaced by the implementation)."""
from flask_appbuilder import BaseView, expose, has_access


class PhotoWallView(BaseView):
    route_base = "/photowall"
    default_view = "wall"
    class_permission_name = "人员信息查询"
    method_permission_name = {"wall": "read"}
    base_permissions = ["can_read"]

    @expose("/")
    @has_access
    def wall(self):
        return "人员信息查询"


class KeyGroupView(BaseView):
    route_base = "/keygroups"
    default_view = "list"
    class_permission_name = "人员标签管理"
    method_permission_name = {"list": "read", "save": "write"}
    base_permissions = ["can_read", "can_write"]

    @expose("/list/")
    @has_access
    def list(self):
        return "人员标签管理"

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):
        return "x"
