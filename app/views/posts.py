"""STUB: replaced by the implementation."""
from flask_appbuilder import BaseView, expose, has_access


class PostView(BaseView):
    """STUB"""

    route_base = "/posts"
    default_view = "list"
    class_permission_name = "机构岗位管理"
    method_permission_name = {"list": "read", "save": "write"}
    base_permissions = ["can_read", "can_write"]

    @expose("/list/")
    @has_access
    def list(self):
        return "机构岗位管理"

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):
        return "机构岗位管理"


class StandardPostView(BaseView):
    """STUB"""

    route_base = "/standardposts"
    default_view = "list"
    class_permission_name = "标准岗位"
    method_permission_name = {"list": "read", "save": "write"}
    base_permissions = ["can_read", "can_write"]

    @expose("/list/")
    @has_access
    def list(self):
        return "标准岗位"

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):
        return "标准岗位"
