"""机构人力资源 → 调动申请 (申请调入, spec 4.4): the requests an institution received (收到的申请: 办理离职 / 拒绝)
and sent (发出的申请: 撤回), and the 申请调入 form that the 基本信息 refusal "在职于其他机构" offers."""
from flask import abort, g, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_wtf import FlaskForm

from app.domain.errors import DomainError
from app.models.movements import TransferRequest
from app.security import pages
from app.services import transfers as svc
from app.views.concurrency import opened_version
from app.views.pages import Errors, act, form_page

FIELDS = ("id_number", "name", "reason", "expected_date")


class TransferView(BaseView):
    route_base = "/transfers"
    default_view = "list"
    class_permission_name = pages.TRANSFERS.resource
    method_permission_name = {"list": "read", "show": "read", "new": "write", "resign": "write", "decline": "write",
                              "withdraw": "write"}
    base_permissions = pages.TRANSFERS.permissions
    edited_models = (TransferRequest,)
    scoped_model = TransferRequest  # the sweeps call every <pk> route with foreign request ids

    def _request(self, pk):
        try:
            return svc.get(g.user, pk)
        except DomainError:
            abort(404)

    @expose("/list/")
    @has_access
    def list(self):
        institution = bool(g.user.institution_id)
        return self.render_template("transfers/list.html", received=svc.received(g.user) if institution else [],
                                    sent=svc.sent(g.user) if institution else [], status=svc.shown_status,
                                    not_institution=not institution, tab=request.args.get("tab", "received"))

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        """申请调入. A POST from the 基本信息 form's offer (`offer`) only fills the form with its number and name."""
        values = {k: request.form.get(k, "").strip() for k in FIELDS}
        offered = request.method == "POST" and request.form.get("offer") == "1"
        holder = svc.offer_for(g.user.institution_id, values["id_number"]) if values["id_number"] else None

        def render(errors):
            return self.render_template("transfers/form.html", values=values, errors=errors, holder=holder,
                                        form=FlaskForm(), days=svc.EXPIRY_DAYS)

        if offered or not g.user.institution_id:
            return render(Errors() if g.user.institution_id else Errors(["只有机构账号可以申请调入"]))
        return form_page(
            save=lambda: svc.create(g.user, **values),
            render=render,
            done=lambda req: (f"已向{req.holder.name}申请调入{req.name}，请等待对方处理（{svc.EXPIRY_DAYS} 天内未处理将过期）",
                              url_for(".show", pk=req.id)))

    def _show(self, req, errors=Errors(), answer=""):
        mine = g.user.institution_id
        status = svc.shown_status(req)
        return self.render_template(
            "transfers/show.html", req=req, status=status, errors=errors, answer=answer, form=FlaskForm(),
            holder_side=req.holder_institution_id == mine, requester_side=req.requester_institution_id == mine,
            actionable=status == svc.PENDING, resignation=svc.resignation_of(req),
            leave_date=svc.leave_date_for(req))

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        return self._show(self._request(pk))

    def _step(self, pk, side, call, message, answer=""):
        """A button of one side ("holder" / "requester"): the other side gets 403, another institution 404."""
        req = self._request(pk)
        own = req.holder_institution_id if side == "holder" else req.requester_institution_id
        if own != g.user.institution_id:
            abort(403)
        return act(lambda: call(req), done=lambda value: (message(value), url_for(".show", pk=pk)),
                   back=lambda errors: self._show(self._request(pk), errors, answer))

    @expose("/resign/<int:pk>", methods=["POST"])
    @has_access
    def resign(self, pk):
        return self._step(pk, "holder", lambda req: svc.start_resignation(g.user, req.id, version=opened_version()),
                          lambda r: f"已为{r.person.name}办理离职（草稿，离职类型：调往其他卫生机构），"
                                    "请在“员工离职”中提交审核")

    @expose("/decline/<int:pk>", methods=["POST"])
    @has_access
    def decline(self, pk):
        answer = request.form.get("answer", "").strip()
        return self._step(pk, "holder", lambda req: svc.decline(g.user, req.id, answer, version=opened_version()),
                          lambda r: f"已拒绝{r.requester.name}调入{r.name}的申请", answer)

    @expose("/withdraw/<int:pk>", methods=["POST"])
    @has_access
    def withdraw(self, pk):
        return self._step(pk, "requester", lambda req: svc.withdraw(g.user, req.id, version=opened_version()),
                          lambda r: f"已撤回调入{r.name}的申请")
