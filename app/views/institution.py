"""STUB: replaced by the implementation."""
from flask_appbuilder import BaseView, expose, has_access


class InstitutionProfileView(BaseView):
    route_base = "/institution"
    default_view = "profile"
    class_permission_name = "机构信息维护"
    method_permission_name = {"profile": "read", "save": "write"}
    base_permissions = ["can_read", "can_write"]

    @expose("/")
    @has_access
    def profile(self):
        return "机构信息维护"

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):
        return "x"


class ChangeReviewView(BaseView):
    route_base = "/changereview"
    default_view = "list"
    class_permission_name = "机构信息变更审核"
    method_permission_name = {"list": "read", "decide": "audit"}
    base_permissions = ["can_read", "can_audit"]

    @expose("/list/")
    @has_access
    def list(self):
        return "机构信息变更审核"

    @expose("/decide/<int:pk>", methods=["POST"])
    @has_access
    def decide(self, pk):
        return "x"


class LocationView(BaseView):
    route_base = "/location"
