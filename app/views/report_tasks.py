"""上报任务 (spec "哪些机构上报以上级通知为准", issue 15): the region publishes a task (report kind, institutions,
period, deadline), reads 上报率 and the institutions not reported per period and sends 催报; an institution sees its
open tasks in 我的上报任务 (and on the home page) with a link to the page where the kind is reported."""
from flask import abort, g, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_wtf import FlaskForm
from werkzeug.routing import BuildError

from app.domain.errors import DomainError
from app.extensions import appbuilder
from app.models.enums import INSTITUTION_KINDS
from app.security import pages
from app.services import report_tasks as svc
from app.views.emergency_supplies import SUPPLY_VIEWS
from app.views.pages import act, form_page

# The menu page where each kind is reported: (endpoint of its list, its page).
KIND_PAGES = {
    "report:capacity": ("CapacityReportView.list", pages.CAPACITY_REPORTS),
    "report:vehicle": ("VehicleReportView.list", pages.VEHICLE_REPORTS),
    "report:equipment": ("EquipmentReportView.list", pages.EQUIPMENT_REPORTS),
    "report:drug": ("DrugReportView.list", pages.DRUG_REPORTS),
    **{f"entry:{resource}:{report}": (f"{view.__name__}.list", view.page)
       for (resource, report), view in SUPPLY_VIEWS.items()},
}


def kind_link(kind: str) -> str | None:
    """The URL of the page where `kind` is reported, when the user may open it."""
    endpoint, page = KIND_PAGES.get(kind, (None, None))
    if endpoint is None or not appbuilder.sm.has_access("can_read", page.resource):
        return None
    try:
        return url_for(endpoint)
    except BuildError:  # a page not registered in this app: no link
        return None


def institution_panel(user) -> dict | None:
    """The home page's panel of an institution account with 我的上报任务: open tasks not reported, reminders."""
    if not getattr(user, "institution_id", None) or not appbuilder.sm.has_access("can_read", pages.MY_TASKS.resource):
        return None
    due = [t for t in svc.open_tasks(user) if not t.done]
    return {"due": due, "reminders": svc.reminders(user), "link": kind_link, "url": url_for("MyTaskView.list")}


class ReportTaskView(BaseView):
    """区域管理 → 上报任务: the list with today's 上报率, 发布任务, a task's page with the period picker, 催报, 撤销."""

    route_base = "/reporttasks"
    default_view = "list"
    class_permission_name = pages.REPORT_TASKS.resource
    method_permission_name = {"list": "read", "show": "read", "add": "write", "remind": "write", "withdraw": "write"}
    base_permissions = ["can_read", "can_write"]
    edited_models = ()  # 发布 creates a task, 催报 adds reminders, 撤销 is a one-way switch: no row is edited in a form

    def _may_write(self):
        return bool(appbuilder.sm.has_access("can_write", pages.REPORT_TASKS.resource))

    def _task(self, pk):
        try:
            return svc.get(g.user, pk)
        except DomainError:
            abort(404)

    @expose("/list/")
    @has_access
    def list(self):
        rows = []
        for task in svc.tasks(g.user):
            start = svc.current_period(task)
            rows.append((task, svc.schedule_text(task), svc.period_label(task, start), svc.rate(task, start)))
        return self.render_template("emergency/tasks_list.html", title=pages.REPORT_TASKS.label, mode="region",
                                    rows=rows, kinds=svc.KINDS, may_write=self._may_write())

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        values = {"title": "", "kind": "", "target": "all", "institution_kind": "", "institution_ids": [],
                  "period": "daily", "date_from": "", "date_to": "", "deadline": "17:00"}
        if request.method == "POST":
            values = {k: request.form.get(k, "") for k in values if k != "institution_ids"}
            values["institution_ids"] = request.form.getlist("institution_ids")
        return form_page(
            save=lambda: svc.publish(g.user, **values),
            done=lambda task: (f"上报任务“{task.title}”已发布，共 {len(task.institutions)} 家机构",
                               url_for(".show", pk=task.id)),
            render=lambda errors: self.render_template(
                "emergency/task_form.html", title="发布上报任务", values=values, errors=errors, form=FlaskForm(),
                kinds=svc.KINDS, targets=svc.TARGETS, periods=svc.PERIODS, institution_kinds=INSTITUTION_KINDS,
                institutions=svc.choosable(g.user),
                shown=["title", "kind", "target", "institution_kind", "institution_ids", "period", "date_from",
                       "date_to", "deadline"]))

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        task = self._task(pk)
        start = svc.period_of(task, request.args.get("period"))
        return self.render_template(
            "emergency/task_show.html", title=task.title, task=task, start=start, rate=svc.rate(task, start),
            choices=[(p, svc.period_label(task, p)) for p in svc.periods(task)], svc=svc, form=FlaskForm(),
            kind_label=svc.KINDS.get(task.kind, task.kind), may_write=self._may_write())

    @expose("/remind/<int:pk>", methods=["POST"])
    @has_access
    def remind(self, pk):
        task = self._task(pk)
        start = svc.period_of(task, request.form.get("period"))
        back = url_for(".show", pk=pk, period=start.isoformat())
        return act(lambda: svc.remind(g.user, task.id, start),
                   done=lambda n: (f"已向 {n} 家机构发送催报", back), back=back)

    @expose("/withdraw/<int:pk>", methods=["POST"])
    @has_access
    def withdraw(self, pk):
        task = self._task(pk)
        return act(lambda: svc.withdraw(g.user, task.id),
                   done=lambda t: (f"上报任务“{t.title}”已撤销", url_for(".list")), back=url_for(".show", pk=pk))


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
        if not getattr(g.user, "institution_id", None):
            abort(403)
        return self.render_template("emergency/tasks_list.html", title=pages.MY_TASKS.label, mode="institution",
                                    open_tasks=svc.open_tasks(g.user), reminders=svc.reminders(g.user),
                                    link=kind_link)
