"""STUB: 人员信息管理 (replaced by the implementation)."""
from flask_appbuilder import BaseView, expose, has_access

from app.models.people import Person


class PersonView(BaseView):
    route_base = "/people"
    default_view = "list"
    class_permission_name = "人员信息管理"
    method_permission_name = {"list": "read", "add": "write", "fullid": "fullid"}
    base_permissions = ["can_read", "can_write", "can_fullid"]
    scoped_model = Person

    @expose("/list/")
    @has_access
    def list(self):
        return "人员信息管理"

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        return "x"

    @expose("/fullid/<int:pk>")
    @has_access
    def fullid(self, pk):
        return "x"
