"""上报任务 (spec "哪些机构上报以上级通知为准", issue 15): the region publishes a task (report kind, institutions,
period, deadline) and sends 催报; an institution sees its open tasks in 我的上报任务 and on the home page.
Issue 15 builds the pages; these are their frames."""
from flask_appbuilder import BaseView, expose, has_access

from app.security import pages


class ReportTaskView(BaseView):
    """区域管理 → 上报任务: publish, list with 上报率, 催报."""

    route_base = "/reporttasks"
    default_view = "list"
    class_permission_name = pages.REPORT_TASKS.resource
    method_permission_name = {"list": "read"}
    base_permissions = ["can_read", "can_write"]

    @expose("/list/")
    @has_access
    def list(self):
        return self.render_template("emergency/tasks_list.html", title=pages.REPORT_TASKS.label)


class MyTaskView(BaseView):
    """应急资源管理 → 我的上报任务: the institution's open tasks with due dates and reminders."""

    route_base = "/mytasks"
    default_view = "list"
    class_permission_name = pages.MY_TASKS.resource
    method_permission_name = {"list": "read"}
    base_permissions = ["can_read"]

    @expose("/list/")
    @has_access
    def list(self):
        return self.render_template("emergency/tasks_list.html", title=pages.MY_TASKS.label)
