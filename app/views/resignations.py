"""员工离职 (spec 4.4): the institution's list with filters and export, 新增 with the person picker, 修改 / 删除 /
提交 / 撤回 of a draft, 批量离职 from the staff list, and the review (通过 / 不通过, one or a selection).

The review lives in this page (not a separate ReviewPages view): the issue asks for one page with 查看/编辑/审核
rights, and the reviewer is an account of the same institution, so the clerk's list and the reviewer's queue are
the same rows; the 审核 right (can_audit) guards decide / decide_many, and the page shows the decision form only to
those who hold it."""
import datetime

from flask import abort, g, jsonify, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_wtf import FlaskForm

from app.domain import review
from app.domain.errors import DomainError
from app.extensions import appbuilder, db
from app.models.movements import Resignation
from app.models.people import Person
from app.security import pages
from app.security.masking import sees_full_id, shown_id
from app.services import resignations as svc
from app.views.concurrency import opened_version
from app.views.files import send_workbook
from app.views.pages import Errors, act, attempt, form_page

FIELDS = ("flow_type", "leave_date", "note")
DECIDED = {"approve": "通过", "reject": "不通过"}


def _values(item=None) -> dict:
    if item is None:
        return {"flow_type": "", "leave_date": "", "note": ""}
    return {"flow_type": item.flow_type, "leave_date": item.leave_date.strftime("%Y-%m-%d"), "note": item.note or ""}


def _posted() -> dict:
    return {key: request.form.get(key, "").strip() for key in FIELDS}


class ResignationView(BaseView):
    route_base = "/resignation"
    default_view = "list"
    class_permission_name = pages.RESIGNATIONS.resource
    method_permission_name = {"list": "read", "show": "read", "export": "read", "candidates": "write",
                              "add": "write", "edit": "write", "delete": "write", "submit": "write",
                              "withdraw": "write", "batch": "write", "decide": "audit", "decide_many": "audit"}
    base_permissions = pages.RESIGNATIONS.permissions
    edited_models = (Resignation,)
    scoped_model = Resignation  # the tenancy sweep calls every <pk> route with foreign ids

    def _item(self, pk):
        try:
            return svc.get(g.user, pk)
        except DomainError:
            abort(404)

    def _institution(self):
        if not g.user.institution_id:
            abort(404)
        return g.user.institution_id

    @staticmethod
    def _may(right) -> bool:
        return bool(appbuilder.sm.has_access(f"can_{right}", pages.RESIGNATIONS.resource))

    # ---- list ----------------------------------------------------------------------------------------------------

    @expose("/list/")
    @has_access
    def list(self, errors=None):
        self._institution()
        filters, problems = svc.parse_filters(request.args)
        page = request.args.get("page", "1")
        rows, total, page, pages_ = svc.page_of(g.user, filters, int(page) if page.isdigit() else 1)
        return self.render_template(
            "resignations/list.html", rows=rows, total=total, page=page, pages=pages_, filters=filters,
            errors=errors or Errors(problems), types=svc.flow_types(), statuses=review.STATUSES, form=FlaskForm(),
            may_write=self._may("write"), may_audit=self._may("audit"), args=request.args,
            page_url=lambda p: url_for(".list", **{**request.args.to_dict(), "page": p}))

    @expose("/export/")
    @has_access
    def export(self):
        self._institution()
        filters, _ = svc.parse_filters(request.args)
        data = svc.export(g.user, filters, show_id=shown_id)
        return send_workbook(data, f"员工离职_{datetime.date.today():%Y%m%d}.xlsx")

    # ---- the clerk's side ----------------------------------------------------------------------------------------

    @expose("/candidates/")
    @has_access
    def candidates(self):
        """The person picker's search (GET, reads only): JSON of matching serving staff without an open
        resignation, with the fields the form shows read-only."""
        self._institution()
        full = sees_full_id()
        found = svc.candidates(g.user, request.args.get("q", ""), full_ids=full)
        return jsonify(items=[svc.person_card(p, lambda n: shown_id(n, full)) for p in found])

    def _card(self, person_id):
        """The picked person's read-only fields (own institution only), or None."""
        if not str(person_id or "").strip().isdigit():
            return None
        person = db.session.get(Person, int(person_id))
        if person is None or person.institution_id != g.user.institution_id:
            return None
        return svc.person_card(person, shown_id)

    def _render_form(self, item, values, errors=Errors(), person_id=None):
        card = svc.person_card(item.person, shown_id) if item is not None else self._card(person_id)
        return self.render_template("resignations/form.html", item=item, values=values, errors=errors, card=card,
                                    types=svc.flow_types(), form=FlaskForm(), max_days=svc.MAX_DAYS_AHEAD)

    @expose("/add/", methods=["GET", "POST"])
    @has_access
    def add(self):
        self._institution()
        person_id = request.form.get("person_id") if request.method == "POST" else request.args.get("person_id")
        values = _posted() if request.method == "POST" else _values()
        return form_page(
            save=lambda: svc.create_draft(g.user, person_id, **values),
            render=lambda errors: self._render_form(None, values, errors, person_id),
            done=lambda item: (f"{item.person.name}的离职记录已保存为草稿。确认无误后请点击“提交”",
                               url_for(".show", pk=item.id)))

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        item = self._item(pk)
        values = _posted() if request.method == "POST" else _values(item)
        return form_page(
            save=lambda: svc.update(g.user, pk, **values, version=opened_version()),
            render=lambda errors: self._render_form(item, values, errors),
            done=lambda item: (f"{item.person.name}的离职记录已保存", url_for(".show", pk=item.id)))

    @expose("/delete/<int:pk>", methods=["POST"])
    @has_access
    def delete(self, pk):
        self._item(pk)
        return act(lambda: svc.delete(g.user, pk), done=lambda name: (f"{name}的离职草稿已删除", url_for(".list")),
                   back=url_for(".show", pk=pk))

    def _step(self, pk, call, message):
        """A button of the record's page (提交 / 撤回): flash `message` (the person's name filled in) or the refusal."""
        item = self._item(pk)
        return act(lambda: call(g.user, pk), done=lambda _: (message.format(name=item.person.name),
                                                              url_for(".show", pk=pk)),
                   back=url_for(".show", pk=pk))

    @expose("/submit/<int:pk>", methods=["POST"])
    @has_access
    def submit(self, pk):
        return self._step(pk, svc.submit, "{name}的离职记录已提交，请等待审核")

    @expose("/withdraw/<int:pk>", methods=["POST"])
    @has_access
    def withdraw(self, pk):
        return self._step(pk, svc.withdraw, "{name}的离职记录" + review.WITHDRAWN_MESSAGE)

    @expose("/batch/", methods=["GET", "POST"])
    @has_access
    def batch(self):
        """批量离职: the people ticked on the staff list (ids=…), one shared type / date / note."""
        institution_id = self._institution()
        ids = request.form.getlist("ids") if request.method == "POST" else request.args.getlist("ids")
        wanted = [int(i) for i in ids if str(i).isdigit()]
        people = [p for p in (db.session.get(Person, i) for i in wanted[:500])
                  if p is not None and p.institution_id == institution_id]
        values = _posted() if request.method == "POST" else _values()
        return form_page(
            save=lambda: svc.create_many(g.user, ids, **values),
            render=lambda errors: self.render_template(
                "resignations/batch.html", people=people, values=values, errors=errors, types=svc.flow_types(),
                form=FlaskForm(), max_days=svc.MAX_DAYS_AHEAD),
            done=lambda items: (f"已为 {len(items)} 人保存离职草稿，请逐条确认后提交", url_for(".list", status=review.DRAFT)))

    # ---- one record and its review -------------------------------------------------------------------------------

    def _render_show(self, item, errors=Errors(), opinion=""):
        may_audit = self._may("audit")
        return self.render_template(
            "resignations/show.html", item=item, card=svc.person_card(item.person, shown_id), types=svc.flow_types(),
            history=svc.history(item), labels=review.LABELS, actions=review.ACTION_LABELS, errors=errors,
            opinion=opinion, form=FlaskForm(), may_write=self._may("write"),
            may_decide=may_audit and item.status == review.SUBMITTED,
            editable=review.can_edit(item.status), deletable=item.status == review.DRAFT and not svc.history(item))

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        return self._render_show(self._item(pk))

    @expose("/decide/<int:pk>", methods=["POST"])
    @has_access
    def decide(self, pk):
        item = self._item(pk)
        opinion, action = request.form.get("opinion", ""), request.form.get("action", "")
        return form_page(
            save=lambda: svc.decide(g.user, pk, action, opinion),
            render=lambda errors: self._render_show(self._item(pk), errors, opinion),
            done=lambda _: (f"已{DECIDED.get(action, '')}{item.person.name}的离职申请", url_for(".show", pk=pk)))

    @expose("/decide_many/", methods=["POST"])
    @has_access
    def decide_many(self):
        self._institution()
        action = request.form.get("action", "")
        ids = request.form.getlist("ids")
        value, errors = attempt(svc.decide_many, g.user, ids, action, request.form.get("opinion", ""))
        if errors:
            return self.list(errors=errors)
        return act(lambda: value, done=lambda items: (f"已{DECIDED.get(action, '')} {len(items)} 条离职申请",
                                                      url_for(".list")), back=url_for(".list"))
