"""STUB: 试用期填报 and its review (replaced by the implementation)."""
from flask_appbuilder import BaseView, expose, has_access


class ProbationView(BaseView):
    route_base = "/probation"
    default_view = "list"
    class_permission_name = "试用期填报"
    method_permission_name = {"list": "read", "save": "write"}
    base_permissions = ["can_read", "can_write"]

    @expose("/list/")
    @has_access
    def list(self):
        return "试用期填报"

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):
        return "x"


class ProbationReviewView(BaseView):
    route_base = "/probationreview"
    default_view = "list"
    class_permission_name = "试用期审核"
    method_permission_name = {"list": "read", "decide": "audit", "window": "write"}
    base_permissions = ["can_read", "can_audit", "can_write"]

    @expose("/list/")
    @has_access
    def list(self):
        return "试用期审核"

    @expose("/decide/<int:pk>", methods=["POST"])
    @has_access
    def decide(self, pk):
        return "x"

    @expose("/window", methods=["GET", "POST"])
    @has_access
    def window(self):
        return "x"
