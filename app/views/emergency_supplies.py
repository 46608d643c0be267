"""应急物资资源 and 应急药械资源 (spec 5.5, 5.6): one view family over services/emergency_supplies.py, six menu
entries (resource × report, security/pages.py SUPPLY_PAGES). `SupplyPages` holds the list (日期 range, 名称, 类别,
paging, Excel export, 可用天数 on the 存量 lists), the 上报 form of several rows (warnings shown first, then 确认上报;
a key already reported links to its entry's 修改), 查看详情, 修改 and 删除."""
import datetime
import math

from flask import abort, g, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_wtf import FlaskForm

from app.domain import supplies as rules
from app.domain.errors import DomainError, FieldError
from app.extensions import appbuilder
from app.models.emergency_supplies import SupplyEntry
from app.security import pages
from app.services import emergency_supplies as svc
from app.views.concurrency import opened_version
from app.views.files import send_workbook
from app.views.pages import Errors, act, form_page

ROW_FIELDS = ("row_kind", "item", "item_name", "quantity", "note")


def _key(raw, field, label, report, errors):
    """A searched day (or month, for 月估用量); None when blank, a refusal under the field when not a date."""
    if not (raw or "").strip():
        return None
    day = rules.parse_day(raw, report)
    if day is None:
        errors.items.append(FieldError(field, f"{label}格式应为 {rules.key_format(report)}"))
    return day


class SupplyPages:
    """The pages of one resource × report; a subclass sets `resource`, `report`, route_base and its page."""

    resource = report = page = None
    scoped_model = SupplyEntry  # the tenancy sweep calls every <pk> route with foreign entry ids
    edited_models = (SupplyEntry,)
    default_view = "list"
    method_permission_name = {"list": "read", "show": "read", "export": "read", "add": "write", "edit": "write",
                              "delete": "write"}
    base_permissions = ["can_read", "can_write"]

    # ---- helpers -------------------------------------------------------------------------------------------
    @property
    def title(self):
        return svc.menu_name(self.resource, self.report)

    def _may(self, right):
        return bool(appbuilder.sm.has_access(f"can_{right}", self.page.resource))

    def _institution(self):
        return getattr(g.user, "institution_id", None)

    def _entry(self, pk, own=False) -> SupplyEntry:
        try:
            entry = svc.get(g.user, pk)
        except DomainError:
            abort(404)
        if entry.resource != self.resource or entry.report != self.report:
            abort(404)
        if own and entry.institution_id != self._institution():
            abort(404)
        return entry

    def _labels(self):
        return {"date": rules.DATE_LABELS[self.report], "quantity": rules.QUANTITY_LABELS[self.report]}

    def _searched(self, errors):
        args = request.args
        label = rules.DATE_LABELS[self.report]
        return (_key(args.get("day_from"), "day_from", f"{label}（起）", self.report, errors),
                _key(args.get("day_to"), "day_to", f"{label}（止）", self.report, errors),
                args.get("name", ""), args.get("category", ""))

    def _days(self, rows):
        """可用天数 of the listed rows' items (存量 lists only)."""
        return svc.days_of_rows(self.resource, rows) if self.report == rules.STOCK else {}

    # ---- list and export -----------------------------------------------------------------------------------
    @expose("/list/")
    @has_access
    def list(self):
        errors = Errors()
        args = request.args
        day_from, day_to, name, category = self._searched(errors)
        page = int(args.get("page", "1")) if args.get("page", "1").isdigit() else 1
        rows, total = svc.search(g.user, self.resource, self.report, day_from, day_to, name, category, page)

        def page_url(p):
            return url_for(".list", **{**args.to_dict(), "page": p})

        return self.render_template(
            "emergency/supplies_list.html", title=self.title, rows=rows, total=total, page=page,
            pages=max(1, math.ceil(total / svc.PAGE_SIZE)), page_url=page_url, args=args, errors=errors,
            categories=svc.categories(self.resource), labels=self._labels(), report=self.report,
            stock=self.report == rules.STOCK, days=self._days(rows), is_low=rules.is_low, fmt=rules.fmt,
            key_text=svc.key_text, form=FlaskForm(), may_write=self._may("write"),
            institution=bool(self._institution()), region=not self._institution())

    @expose("/export/")
    @has_access
    def export(self):
        day_from, day_to, name, category = self._searched(Errors())
        data = svc.export(g.user, self.resource, self.report, day_from, day_to, name, category)
        return send_workbook(data, f"{self.title}_{datetime.date.today():%Y%m%d}.xlsx")

    # ---- 上报 ------------------------------------------------------------------------------------------------
    def _posted_rows(self):
        lists = {k: request.form.getlist(k) for k in ROW_FIELDS}
        count = max(len(v) for v in lists.values())

        def at(key, i):
            items = lists[key]
            return items[i].strip() if i < len(items) else ""

        rows = [{k: at(k, i) for k in ROW_FIELDS} for i in range(count)]
        for row in rows:  # a drug row's hidden input holds the 药品编码 the type-ahead chose
            if row["row_kind"] == "drug" and row["item"] and not row["item"].startswith(svc.DRUG_PREFIX):
                row["item"] = svc.DRUG_PREFIX + row["item"]
        return rows

    def _shown_row(self, row):
        """A posted row as the form draws it again: the chosen item's 规格型号 and 计量单位 looked up."""
        found = svc.item(self.resource, row.get("item")) if row.get("item") else None
        kind = row.get("row_kind") or ("drug" if (row.get("item") or "").startswith(svc.DRUG_PREFIX) else "item")
        return {**row, "row_kind": kind, "spec": found.spec if found else "", "unit": found.unit if found else "",
                "item_name": found.name if found and kind == "drug" else row.get("item_name", "")}

    def _render_add(self, errors, day, rows, refusal):
        warnings = getattr(getattr(refusal, "checked", None), "warnings", None) or {}
        existing = getattr(refusal, "existing", None) or {}
        shown = ["day", *(f"{f}-{n}" for n in range(1, len(rows) + 1) for f in ("item", "quantity"))]
        return self.render_template(
            "emergency/supplies_form.html", title=self.title, errors=errors if not warnings else Errors(),
            day=day, rows=rows, labels=self._labels(), report=self.report, resource=self.resource,
            items=svc.items(self.resource), drugs=self.resource == "drugdevice", shown=shown,
            warnings={n: w for n, w in warnings.items() if w}, existing=existing, form=FlaskForm(),
            search_url=url_for("DrugSearchView.search") if self.resource == "drugdevice" else "")

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        if not self._institution():
            abort(403)
        today = datetime.date.today()
        day = f"{today:%Y-%m}" if self.report == rules.ESTIMATE else f"{today:%Y-%m-%d}"
        rows = [{"row_kind": "item"}]
        state = {}
        if request.method == "POST":
            day = request.form.get("day", "").strip()
            posted = self._posted_rows()
            rows = [self._shown_row(r) for r in posted] or rows

            def save():
                try:
                    return svc.report(g.user, self.resource, self.report, day,
                                      [{"item": r["item"], "quantity": r["quantity"], "note": r["note"]}
                                       for r in posted], confirmed=request.form.get("confirmed") == "1")
                except DomainError as exc:
                    state["refusal"] = exc
                    raise
        else:
            save = None

        def done(entries):
            return (f"{self.title}：{len(entries)} 条已上报（{rules.DATE_LABELS[self.report]} "
                    f"{svc.key_text(entries[0], self.report)}）", url_for(".list"))

        return form_page(save=save, done=done,
                         render=lambda e: self._render_add(e, day, rows, state.get("refusal")))

    # ---- 查看详情 / 修改 / 删除 ------------------------------------------------------------------------------
    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        entry = self._entry(pk)
        days = self._days([entry]).get((entry.institution_id, entry.item_code)) if self.report == rules.STOCK else None
        return self.render_template(
            "emergency/supplies_show.html", title=self.title, entry=entry, labels=self._labels(), fmt=rules.fmt,
            key=svc.key_text(entry, self.report), stock=self.report == rules.STOCK, days=days, is_low=rules.is_low,
            form=FlaskForm(), may_write=self._may("write") and entry.institution_id == self._institution())

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        entry = self._entry(pk, own=True)
        state = {}
        if request.method == "POST":
            quantity, note = request.form.get("quantity", "").strip(), request.form.get("note", "")

            def save():
                try:
                    return svc.update(g.user, pk, quantity, note, version=opened_version(),
                                      confirmed=request.form.get("confirmed") == "1")
                except DomainError as exc:
                    state["refusal"] = exc
                    raise
        else:
            quantity, note, save = rules.fmt(entry.quantity), entry.note or "", None

        def render(errors):
            refusal = state.get("refusal")
            warnings = (getattr(getattr(refusal, "checked", None), "warnings", None) or {}).get(1) or []
            return self.render_template(
                "emergency/supplies_edit.html", title=self.title, entry=entry, errors=Errors() if warnings else errors,
                warnings=warnings, quantity=quantity, note=note, labels=self._labels(),
                key=svc.key_text(entry, self.report), form=FlaskForm())

        return form_page(save=save, render=render,
                         done=lambda e: (f"“{e.name}”{rules.DATE_LABELS[self.report]} "
                                         f"{svc.key_text(e, self.report)} 的记录已修改", url_for(".list")))

    @expose("/delete/<int:pk>", methods=["POST"])
    @has_access
    def delete(self, pk):
        entry = self._entry(pk, own=True)
        what = f"“{entry.name}”{rules.DATE_LABELS[self.report]} {svc.key_text(entry, self.report)}"
        return act(lambda: svc.delete(g.user, pk, version=opened_version()),
                   done=lambda _: (f"{what} 的记录已删除", url_for(".list")), back=url_for(".list"))


def _page(resource, report, route):
    page = pages.SUPPLY_PAGES[(resource, report)]
    name = f"{resource.capitalize()}{report.capitalize()}View"
    return type(name, (SupplyPages, BaseView), {
        "__doc__": f"{page.label} (spec {'5.5' if resource == 'supply' else '5.6'}).", "route_base": route,
        "resource": resource, "report": report, "page": page, "class_permission_name": page.resource,
        "__module__": __name__})


SupplyStockView = _page("supply", "stock", "/supplies/stock")
SupplyEstimateView = _page("supply", "estimate", "/supplies/estimate")
SupplyDailyView = _page("supply", "daily", "/supplies/daily")
DrugdeviceStockView = _page("drugdevice", "stock", "/drugdevices/stock")
DrugdeviceDailyView = _page("drugdevice", "daily", "/drugdevices/daily")
DrugdeviceEstimateView = _page("drugdevice", "estimate", "/drugdevices/estimate")
SUPPLY_VIEWS = {(v.resource, v.report): v for v in (SupplyStockView, SupplyEstimateView, SupplyDailyView,
                                                    DrugdeviceStockView, DrugdeviceDailyView, DrugdeviceEstimateView)}
