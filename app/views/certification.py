"""实名认证 (spec 2.1) for every account, and 实名认证审核 (spec 7.4) for the reviewers."""
from flask import Response, abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_login import login_required
from flask_wtf import FlaskForm

from app.domain import review
from app.domain.errors import DomainError, ValidationFailed
from app.extensions import db
from app.models.security import RealNameCertification
from app.security import pages
from app.services import certification as certs
from app.services import dictionaries, pdf
from app.views.concurrency import opened_version
from app.views.files import PDF_CSP, send_stored

FILE_FIELDS = {"front": "front_path", "back": "back_path", "scan": "scan_path"}


def _errors(exc):
    return exc.errors if isinstance(exc, ValidationFailed) else [exc.message]


def _send_stored(cert, kind):
    path = getattr(cert, FILE_FIELDS.get(kind, ""), None) if kind in FILE_FIELDS else None
    return send_stored(path)


class CertificationView(BaseView):
    """The applicant's page: fields, ID photos, the PDF letter, the stamped scan, submit / withdraw."""

    route_base = "/certification"
    edited_models = (RealNameCertification,)  # what its forms edit (versioned)
    default_view = "form"

    def _render(self, errors=(), values=None):
        cert = certs.for_user(g.user)
        values = values or ({"name": cert.name, "id_type": cert.id_type, "id_number": cert.id_number,
                             "mobile": cert.mobile} if cert else {"id_type": "01", "mobile": g.user.mobile or ""})
        return self.render_template(
            "certification/form.html", cert=cert, values=values, errors=list(errors), form=FlaskForm(),
            id_types=dictionaries.items("id_types"), labels=certs.STATUS_LABELS, not_started=review.NOT_STARTED,
            editable=cert is None or review.can_edit(cert.status), history=certs.history(cert) if cert else [])

    @expose("/", methods=["GET"])
    @login_required
    def form(self):
        return self._render()

    @expose("/save", methods=["POST"])
    @login_required
    def save(self):
        values = {k: request.form.get(k, "").strip() for k in ("name", "id_type", "id_number", "mobile")}
        if not FlaskForm().validate_on_submit():
            return self._render(["页面已过期，请重新提交"], values)
        try:
            certs.save(g.user, front=request.files.get("front") or None, back=request.files.get("back") or None,
                       version=opened_version(), **values)
        except DomainError as exc:
            db.session.rollback()
            return self._render(_errors(exc), values)
        flash("已保存。请下载下方的证明文件，打印后加盖人事部门公章，扫描后上传为审核材料，再点击“提交证明材料”", "success")
        return redirect(url_for(".form"))

    @expose("/letter.pdf")
    @login_required
    def letter(self):
        cert = certs.for_user(g.user)
        if cert is None:
            abort(404)
        try:
            data = pdf.render_pdf("certification.html", **certs.letter_context(cert, g.user))
        except pdf.FontNotReady:
            retry = 10
            g.csp_frame_self = True  # the page shows this inside its own letter frame
            return (self.render_template("certification/font_pending.html", retry=retry), 503,
                    {"Retry-After": str(retry), "Cache-Control": "no-store", "X-Frame-Options": "SAMEORIGIN"})
        # Shown in the certification page itself (spec 2.1 "在下方"): our own pages may frame it, nothing else may.
        resp = Response(data, mimetype="application/pdf",
                        headers={"Content-Disposition": "inline; filename=certification.pdf",
                                 "Content-Security-Policy": PDF_CSP, "X-Frame-Options": "SAMEORIGIN"})
        resp.cache_control.private = True
        resp.cache_control.no_store = True  # a personal letter; regenerated after each save
        return resp

    @expose("/scan", methods=["POST"])
    @login_required
    def scan(self):
        if not FlaskForm().validate_on_submit():
            return self._render(["页面已过期，请重新提交"])
        upload = request.files.get("scan")
        if not upload:
            return self._render(["请选择盖章后的扫描件（PDF、JPG 或 PNG，不超过 10 MB）"])
        try:
            certs.upload_scan(g.user, upload)
        except DomainError as exc:
            db.session.rollback()
            return self._render(_errors(exc))
        flash("审核材料已上传，请点击“提交证明材料”", "success")
        return redirect(url_for(".form"))

    @expose("/submit", methods=["POST"])
    @login_required
    def submit(self):
        return self._transition(certs.submit, "已提交，请等待审核。审核通过后即可使用系统")

    @expose("/withdraw", methods=["POST"])
    @login_required
    def withdraw(self):
        return self._transition(certs.withdraw, "实名认证" + review.WITHDRAWN_MESSAGE)

    def _transition(self, fn, message):
        if not FlaskForm().validate_on_submit():
            return self._render(["页面已过期，请重新提交"])
        try:
            fn(g.user)
        except DomainError as exc:
            db.session.rollback()
            return self._render(_errors(exc))
        flash(message, "success")
        return redirect(url_for(".form"))

    @expose("/file/<kind>")
    @login_required
    def file(self, kind):
        cert = certs.for_user(g.user)
        if cert is None:
            abort(404)
        return _send_stored(cert, kind)


class CertReviewView(BaseView):
    """审核队列: filter by status, every field beside the images and the scan, correct, approve or reject."""

    route_base = "/certreview"
    edited_models = ()  # review decisions: guarded by the review state machine
    default_view = "list"
    class_permission_name = pages.CERT_REVIEW.resource
    method_permission_name = {"list": "read", "show": "read", "file": "read", "decide": "audit"}
    base_permissions = ["can_read", "can_audit"]
    scoped_model = RealNameCertification

    @expose("/list/")
    @has_access
    def list(self):
        status = request.args.get("status", review.SUBMITTED)
        items = certs.queue(g.user, status or None)
        return self.render_template("certification/queue.html", items=items, status=status,
                                    statuses=review.STATUSES, labels=certs.STATUS_LABELS)

    def _get(self, pk):
        try:
            return certs.get_for_review(g.user, pk)
        except DomainError:
            abort(404)

    def _render(self, cert, errors=(), values=None, opinion=""):
        values = values or {"name": cert.name, "id_type": cert.id_type, "id_number": cert.id_number,
                            "mobile": cert.mobile}
        return self.render_template("certification/review.html", cert=cert, values=values, errors=list(errors),
                                    opinion=opinion, form=FlaskForm(), id_types=dictionaries.items("id_types"),
                                    labels=certs.STATUS_LABELS, history=certs.history(cert),
                                    pending=cert.status == review.SUBMITTED)

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        return self._render(self._get(pk))

    @expose("/decide/<int:pk>", methods=["POST"])
    @has_access
    def decide(self, pk):
        cert = self._get(pk)
        values = {k: request.form.get(k, "").strip() for k in ("name", "id_type", "id_number", "mobile")}
        opinion = request.form.get("opinion", "")
        if not FlaskForm().validate_on_submit():
            return self._render(cert, ["页面已过期，请重新提交"], values, opinion)
        action = request.form.get("action")
        try:
            certs.decide(g.user, pk, action, opinion, corrections=values)
        except DomainError as exc:
            db.session.rollback()
            return self._render(self._get(pk), _errors(exc), values, opinion)
        flash(f"已{'通过' if action == 'approve' else '驳回'} {cert.user.username} 的实名认证", "success")
        return redirect(url_for(".list"))

    @expose("/file/<int:pk>/<kind>")
    @has_access
    def file(self, pk, kind):
        return _send_stored(self._get(pk), kind)
