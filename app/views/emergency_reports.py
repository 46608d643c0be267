"""应急资源上报 pages (spec 5.1, later 5.2(2), 5.3, 5.4(2)): one view family over the report engine
(services/emergency_reports.py). `ReportPages` holds the list (上报时间 range, 上报状态, paging), the form drawn
from the kind's indicator catalogue, and the buttons 保存 / 上报 / 直接上报 / 修改 / 删除; a kind's page is a
subclass naming its kind and its page in security/pages.py. 上报 is its own right (an owner can let a clerk draft
but not report)."""
import datetime
import math

from flask import abort, g, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_wtf import FlaskForm

from app.domain.errors import DomainError, FieldError
from app.extensions import appbuilder
from app.models.emergency_reports import EmergencyReport
from app.security import pages
from app.services import emergency_reports as svc
from app.views.concurrency import opened_version
from app.views.files import send_workbook
from app.views.pages import Errors, act, attempt, form_page


def _date(raw, field, label, errors):
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return datetime.datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError:
        errors.items.append(FieldError(field, f"{label}格式应为 2026-01-31"))
        return None


class ReportPages:
    """The pages of one report kind; a subclass sets `kind`, `page`, route_base and class_permission_name."""

    kind = page = None
    form_template = "emergency/form.html"  # a kind with other lines (register counts, drug rows) draws its own
    show_template = "emergency/show.html"
    copyable = True  # 复制上次上报 (not for the kinds counted from a register)
    edited_models = (EmergencyReport,)
    scoped_model = EmergencyReport  # the tenancy sweep calls every <pk> route with foreign report ids
    default_view = "list"
    method_permission_name = {"list": "read", "show": "read", "export": "read", "add": "write", "edit": "write",
                              "delete": "write", "submit": "report"}
    base_permissions = ["can_read", "can_write", "can_report"]

    def _may(self, right):
        return bool(appbuilder.sm.has_access(f"can_{right}", self.page.resource))

    def _report(self, pk) -> EmergencyReport:
        try:
            return svc.get(g.user, pk)
        except DomainError:
            abort(404)

    def _render_form(self, report, errors, values, report_date, note):
        return self.render_template(
            self.form_template, title=svc.KINDS[self.kind], report=report, errors=errors, values=values,
            report_date=report_date, note=note, groups=svc.groups(self.kind), form=FlaskForm(),
            shown=["report_date", "note", *self._shown(values)],
            may_report=self._may("report"), endpoint=type(self).__name__,
            **{"hints": {}, **self._form_context(report, values)})

    def _form_context(self, report, values) -> dict:
        """What a kind's own form template needs besides the common fields."""
        return {}

    def _new_values(self) -> dict:
        """The form values a 新增 starts from."""
        return {}

    # What differs between a catalogue kind (one input per indicator) and a row kind (机构药品上报): the fields
    # shown next to an input, the form's values of a saved or copied report, and what the form posted.
    def _shown(self, values):
        return [i.code for i in svc.indicators(self.kind)]

    def _form_values(self, report):
        return {k: str(v) for k, v in svc.values_of(report).items()}

    def _copied_values(self, copied):
        return {k: str(v) for k, v in copied["values"].items()}

    def _posted(self):
        values = {i.code: request.form.get(i.code, "").strip() for i in svc.indicators(self.kind)}
        return values, request.form.get("report_date", "").strip(), request.form.get("note", "")

    def _save(self, pk=None):
        """POST of the form: 保存 (action=save) or 直接上报 / 保存并上报 (action=report, the 上报 right)."""
        direct = request.form.get("action") == "report"
        if direct and not self._may("report"):
            abort(403)
        values, report_date, note = self._posted()
        return lambda: svc.save(g.user, self.kind, values, report_date, note, pk=pk, version=opened_version(),
                                report=direct)

    def _done(self, report):
        word = "已上报" if report.status == svc.REPORTED else "已保存（未上报）"
        return f"{svc.KINDS[self.kind]}（上报时间 {report.report_date:%Y-%m-%d}）{word}", url_for(".list")

    def _searched(self, errors):
        args = request.args
        return (_date(args.get("date_from"), "date_from", "上报时间（起）", errors),
                _date(args.get("date_to"), "date_to", "上报时间（止）", errors), args.get("status", ""))

    @expose("/export/")
    @has_access
    def export(self):
        data = svc.export(g.user, self.kind, *self._searched(Errors()))
        return send_workbook(data, f"{svc.KINDS[self.kind]}_{datetime.date.today():%Y%m%d}.xlsx")

    @expose("/list/")
    @has_access
    def list(self):
        errors = Errors()
        args = request.args
        date_from, date_to, status = self._searched(errors)
        page = int(args.get("page", "1")) if args.get("page", "1").isdigit() else 1
        rows, total = svc.search(g.user, self.kind, date_from, date_to, status, page)
        pages_count = max(1, math.ceil(total / svc.PAGE_SIZE))

        def page_url(p):
            return url_for(".list", **{**args.to_dict(), "page": p})

        return self.render_template(
            "emergency/list.html", title=svc.KINDS[self.kind], rows=rows, total=total, page=page, pages=pages_count,
            page_url=page_url, args=args, status=status, statuses=svc.STATUSES, errors=errors, form=FlaskForm(),
            editable=svc.EDITABLE, may_write=self._may("write"), may_report=self._may("report"),
            may_copy=self.copyable, institution=bool(getattr(g.user, "institution_id", None)))

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        values, report_date, note = {}, f"{datetime.date.today():%Y-%m-%d}", ""
        errors = Errors()
        if request.method == "GET" and request.args.get("copy") and self.copyable:
            copied, errors = attempt(svc.copy_last, g.user, self.kind)
            if copied:
                values, note = self._copied_values(copied), copied["note"]
        elif request.method == "GET" and getattr(g.user, "institution_id", None):
            values = self._new_values()
        elif request.method == "POST":
            values, report_date, note = self._posted()
        return form_page(save=self._save() if request.method == "POST" else None, done=self._done,
                         render=lambda e: self._render_form(None, e or errors, values, report_date, note))

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        report = self._report(pk)
        if report.institution_id != g.user.institution_id:
            abort(404)
        if request.method == "POST":
            values, report_date, note = self._posted()
        else:
            values = self._form_values(report)
            report_date, note = f"{report.report_date:%Y-%m-%d}", report.note or ""
        return form_page(save=self._save(pk) if request.method == "POST" else None, done=self._done,
                         render=lambda e: self._render_form(report, e, values, report_date, note))

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        report = self._report(pk)
        return self.render_template(
            self.show_template, title=svc.KINDS[self.kind], report=report, values=svc.values_of(report),
            details=svc.details_of(report),
            groups=svc.groups(self.kind), form=FlaskForm(), editable=svc.EDITABLE,
            may_write=self._may("write") and report.institution_id == g.user.institution_id,
            may_report=self._may("report") and report.institution_id == g.user.institution_id)

    @expose("/submit/<int:pk>", methods=["POST"])
    @has_access
    def submit(self, pk):
        self._report(pk)
        return act(lambda: svc.submit(g.user, pk, version=opened_version()), done=self._done,
                   back=url_for(".show", pk=pk))

    @expose("/delete/<int:pk>", methods=["POST"])
    @has_access
    def delete(self, pk):
        report = self._report(pk)
        day = f"{report.report_date:%Y-%m-%d}"
        return act(lambda: svc.delete(g.user, pk, version=opened_version()),
                   done=lambda _: (f"上报时间为 {day} 的记录已删除", url_for(".list")), back=url_for(".list"))


class CapacityReportView(ReportPages, BaseView):
    """5.1 机构能力上报; 新增 starts with 救护车数 / 负压救护车数 from 车辆档案 (editable)."""

    route_base = "/capacityreports"
    kind, page = "capacity", pages.CAPACITY_REPORTS
    class_permission_name = pages.CAPACITY_REPORTS.resource

    def _new_values(self):
        return {code: str(n) for code, n in svc.capacity_prefill(g.user).items()}

    def _form_context(self, report, values):
        return {"hints": {} if report else {code: "按车辆档案预填，可修改" for code in svc.CAPACITY_PREFILL}}


class RegisterReportPages(ReportPages):
    """5.2(2) / 5.4(2): nothing typed per line, the counts come from the register (`register` names its page and
    FAB view). 新增 previews the register now; 修改 shows the report's snapshot unless 按当前档案重新统计 is ticked."""

    form_template = "emergency/register_form.html"
    copyable = False
    register = register_view = None
    thing = ""  # 车辆 / 设备, in the line under the table

    def _posted(self):
        values = {svc.RECOUNT: request.form.get(svc.RECOUNT) == "1"}
        return values, request.form.get("report_date", "").strip(), request.form.get("note", "")

    def _form_context(self, report, values):
        recount = bool(values.get(svc.RECOUNT))
        if report is not None and not recount:
            lines = svc.lines_of(report)
        else:  # a preview of the register now (an account without an institution has none)
            lines = svc.snapshot(g.user, self.kind) if getattr(g.user, "institution_id", None) else {}
        rows = [(i, *lines.get(i.code, (0, None))) for i in svc.indicators(self.kind)]
        may_see_register = bool(appbuilder.sm.has_access("can_read", self.register.resource))
        return {"rows": rows, "recount": recount, "describe": svc.describe, "thing": self.thing,
                "register_label": self.register.label,
                "register_url": url_for(f"{self.register_view}.list") if may_see_register else None}


class VehicleReportView(RegisterReportPages, BaseView):
    """5.2(2) 机构车辆上报: counts by 车辆类型 from 车辆档案, 停用/报废 left out [spec]."""

    route_base = "/vehiclereports"
    kind, page = "vehicle", pages.VEHICLE_REPORTS
    class_permission_name = pages.VEHICLE_REPORTS.resource
    register, register_view, thing = pages.VEHICLES, "VehicleView", "车辆"


class EquipmentReportView(RegisterReportPages, BaseView):
    """5.4(2) 应急医疗设备上报: quantities by 设备类型 from 应急医疗设备档案, 停用/报废 left out [spec]."""

    route_base = "/equipmentreports"
    kind, page = "equipment", pages.EQUIPMENT_REPORTS
    class_permission_name = pages.EQUIPMENT_REPORTS.resource
    register, register_view, thing = pages.EQUIPMENT, "EquipmentView", "设备"


class DrugReportView(ReportPages, BaseView):
    """5.3 机构药品上报: rows of drugs found by 拼音缩写 or Chinese, 库存数量 ≥ 0."""

    route_base = "/drugreports"
    kind, page = "drug", pages.DRUG_REPORTS
    class_permission_name = pages.DRUG_REPORTS.resource
    form_template = "emergency/drug_form.html"
    show_template = "emergency/drug_show.html"

    def _posted(self):
        """The rows as posted: parallel lists drug_code (the hidden code of the chosen drug), drug_name (what was
        typed) and quantity, one entry per row of the table."""
        codes, names, quantities = (request.form.getlist(k) for k in ("drug_code", "drug_name", "quantity"))
        count = max(len(codes), len(names), len(quantities))

        def at(items, i):
            return items[i].strip() if i < len(items) else ""

        rows = [{"drug_code": at(codes, i), "name": at(names, i), "quantity": at(quantities, i)} for i in range(count)]
        return rows, request.form.get("report_date", "").strip(), request.form.get("note", "")

    def _shown(self, values):
        return [f"{field}-{n}" for n in range(1, len(values or []) + 1) for field in ("drug", "quantity")]

    def _form_values(self, report):
        return svc.rows_of(report)

    def _copied_values(self, copied):
        return copied["rows"]

    def _render_form(self, report, errors, values, report_date, note):
        rows = svc.described_rows(values) if values else [{}]  # a new report starts with one empty row
        return super()._render_form(report, errors, rows, report_date, note)
