"""机构信息维护 (spec 3.1), the 经纬度 QR helper, and 机构信息变更审核 for the county commission."""
import io

import segno
from flask import abort, current_app, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, validate_csrf
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from wtforms import ValidationError

from app.domain import review
from app.domain.errors import DomainError, ValidationFailed
from app.extensions import db, limiter
from app.models.enums import INSTITUTION_KINDS
from app.models.org import Branch, Institution
from app.models.workflow import ChangeRequest
from app.security import pages
from app.services import institutions as svc
from app.views.concurrency import opened_version
from app.views.files import send_stored

TABS = (("basic", "基本信息"), ("info", "机构信息"), ("branches", "分院信息"), ("files", "附件信息"))


def _errors(exc):
    return exc.errors if isinstance(exc, ValidationFailed) else [exc.message]


class InstitutionProfileView(BaseView):
    """One page with tabs 基本信息 / 机构信息 / 分院信息 / 附件信息; 主体信息 changes go through a request."""

    route_base = "/institution"
    edited_models = (Institution, Branch)  # what its forms edit (versioned)
    default_view = "profile"
    class_permission_name = pages.INSTITUTION_PROFILE.resource
    method_permission_name = {"profile": "read", "file": "read", "save": "write", "branch": "write",
                              "branch_delete": "write", "upload": "write", "file_delete": "write",
                              "change": "write", "withdraw": "write"}
    base_permissions = ["can_read", "can_write"]

    def _institution(self):
        if g.user.institution is None:
            abort(403)
        return g.user.institution

    def _render(self, tab="basic", errors=(), values=None, change_values=None, reason="", branch_values=None,
                editing=None):
        inst = self._institution()
        values = values or {k: ("" if getattr(inst, k) is None else getattr(inst, k)) for k in svc.EDITABLE_FIELDS}
        return self.render_template(
            "institution/profile.html", inst=inst, tab=tab, tabs=TABS, errors=list(errors), values=values,
            subject_fields=svc.SUBJECT_FIELDS, editable_fields=svc.EDITABLE_FIELDS, kinds=INSTITUTION_KINDS,
            choices=svc.subject_choices(),
            change_values=change_values or {}, reason=reason, branch_values=branch_values or {}, editing=editing,
            pending=svc.pending_request(inst.id), requests=svc.requests_of(inst.id)[:5],
            field_history=svc.field_history(inst.id)[:20], file_kinds=svc.FILE_KINDS,
            files=sorted(_files(inst), key=lambda f: f.id), form=FlaskForm(), labels=svc.STATUS_LABELS)

    @expose("/")
    @has_access
    def profile(self):
        tab, editing = request.args.get("tab", "basic"), None
        if request.args.get("branch", "").isdigit():  # 分院 修改: the form below the list opens with its values
            try:
                editing = svc.get_branch(self._institution(), int(request.args["branch"]))
            except DomainError:
                abort(404)
            tab = "branches"
        return self._render(tab, editing=editing)

    def _csrf_ok(self):
        return FlaskForm().validate_on_submit()

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):
        values = {k: request.form.get(k, "") for k in svc.EDITABLE_FIELDS}
        if not self._csrf_ok():
            return self._render("info", ["页面已过期，请重新提交"], values)
        try:
            svc.update_profile(self._institution(), values, version=opened_version())
        except DomainError as exc:
            db.session.rollback()
            return self._render("info", _errors(exc), values)
        flash("机构信息已保存", "success")
        return redirect(url_for(".profile", tab="info"))

    @expose("/branch", methods=["POST"])
    @expose("/branch/<int:pk>", methods=["POST"])
    @has_access
    def branch(self, pk=None):
        inst = self._institution()
        values = {k: request.form.get(k, "") for k in ("name", "address", "phone", "head", "latitude", "longitude")}
        if not self._csrf_ok():
            return self._render("branches", ["页面已过期，请重新提交"], branch_values=values)
        try:
            existing = svc.get_branch(inst, pk) if pk else None
            svc.save_branch(inst, values, existing, version=opened_version())
        except DomainError as exc:
            db.session.rollback()
            if pk and "分院不存在" in exc.message:
                abort(404)
            editing = svc.get_branch(inst, pk) if pk else None
            return self._render("branches", _errors(exc), branch_values=values, editing=editing)
        flash("分院信息已保存", "success")
        return redirect(url_for(".profile", tab="branches"))

    @expose("/branch/<int:pk>/delete", methods=["POST"])
    @has_access
    def branch_delete(self, pk):
        if not self._csrf_ok():
            abort(400)
        try:
            svc.delete_branch(self._institution(), pk)
        except DomainError:
            abort(404)
        flash("分院已删除", "success")
        return redirect(url_for(".profile", tab="branches"))

    @expose("/upload", methods=["POST"])
    @has_access
    def upload(self):
        if not self._csrf_ok():
            return self._render("files", ["页面已过期，请重新提交"])
        upload = request.files.get("file")
        if not upload:
            return self._render("files", ["请选择要上传的文件（PDF、JPG 或 PNG，不超过 10 MB）"])
        try:
            svc.add_file(self._institution(), request.form.get("kind", ""), upload)
        except DomainError as exc:
            db.session.rollback()
            return self._render("files", _errors(exc))
        flash("附件已上传", "success")
        return redirect(url_for(".profile", tab="files"))

    @expose("/file/<int:pk>")
    @has_access
    def file(self, pk):
        try:
            item = svc.get_file(g.user, pk)
        except DomainError:
            abort(404)
        return send_stored(item.path, item.filename)

    @expose("/file/<int:pk>/delete", methods=["POST"])
    @has_access
    def file_delete(self, pk):
        if not self._csrf_ok():
            abort(400)
        try:
            svc.delete_file(self._institution(), pk)
        except DomainError:
            abort(404)
        flash("附件已删除", "success")
        return redirect(url_for(".profile", tab="files"))

    @expose("/change", methods=["POST"])
    @has_access
    def change(self):
        inst = self._institution()
        wanted = {k: request.form.get(k, "") for k in svc.SUBJECT_FIELDS if request.form.get(f"change_{k}")}
        reason = request.form.get("reason", "")
        if not self._csrf_ok():
            return self._render("basic", ["页面已过期，请重新提交"], change_values=wanted, reason=reason)
        try:
            svc.request_change(g.user, wanted, reason, request.files.getlist("files"))
        except DomainError as exc:
            db.session.rollback()
            return self._render("basic", _errors(exc), change_values=wanted, reason=reason)
        flash(f"{inst.name}的机构信息修改申请已提交，等待上级卫健委审核", "success")
        return redirect(url_for(".profile"))

    @expose("/change/<int:pk>/withdraw", methods=["POST"])
    @has_access
    def withdraw(self, pk):
        if not self._csrf_ok():
            abort(400)
        try:
            svc.withdraw_request(g.user, pk)
        except DomainError as exc:
            if "申请不存在" in exc.message:
                abort(404)
            flash(exc.message, "danger")
        else:
            flash("机构信息修改申请" + review.WITHDRAWN_MESSAGE, "success")
        return redirect(url_for(".profile"))


def _files(inst):
    from sqlalchemy import select

    from app.models.org import InstitutionFile

    return db.session.scalars(select(InstitutionFile).where(InstitutionFile.institution_id == inst.id))


def _phone_url(signed):
    """The QR link: on PUBLIC_BASE_URL when set (a phone cannot reach the 专网 address the desktop used)."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base + url_for("LocationView.phone", signed=signed)
    return url_for("LocationView.phone", signed=signed, _external=True)


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="location-qr")


class LocationView(BaseView):
    """经纬度 by phone: the desktop page asks for a QR code of a short-lived signed URL; the phone page (no login)
    sends the browser's position back; the desktop page polls for it."""

    route_base = "/location"
    edited_models = ()  # a phone's position report, not an edit form
    class_permission_name = pages.INSTITUTION_PROFILE.resource
    method_permission_name = {"start": "write", "poll": "read"}
    base_permissions = ["can_read", "can_write"]

    @expose("/start", methods=["POST"])
    @has_access
    def start(self):
        try:
            validate_csrf(request.headers.get("X-CSRFToken", ""))
        except (CSRFError, ValidationError):
            return jsonify(message="页面已过期，请刷新后重试"), 400
        if g.user.institution is None:
            abort(403)
        report = svc.start_location(g.user.institution)
        url = _phone_url(_serializer().dumps(report.token))
        svg = io.BytesIO()
        segno.make(url, error="m").save(svg, kind="svg", scale=5, border=2)
        return jsonify(token=report.token, url=url, svg=svg.getvalue().decode())

    @expose("/poll/<token>")
    @has_access
    def poll(self, token):
        if g.user.institution is None:
            abort(404)  # only an institution's own account has a location request
        try:
            report = svc.poll_location(g.user.institution, token)
        except DomainError:
            abort(404)
        if report.received_at is None:
            return jsonify(received=False)
        return jsonify(received=True, latitude=report.latitude, longitude=report.longitude)

    @expose("/m/<signed>", methods=["GET", "POST"])
    @limiter.limit("30 per minute")
    def phone(self, signed):
        try:
            token = _serializer().loads(signed, max_age=svc.LOCATION_MINUTES * 60)
        except SignatureExpired:
            return self.render_template("institution/phone.html", error="二维码已过期，请在电脑上重新生成"), 410
        except BadSignature:
            abort(404)
        if request.method == "POST":
            data = request.get_json(silent=True) or {}
            try:
                report = svc.receive_location(token, data.get("latitude"), data.get("longitude"))
            except DomainError as exc:
                db.session.rollback()
                return jsonify(ok=False, message="；".join(_errors(exc))), 400
            return jsonify(ok=True, latitude=report.latitude, longitude=report.longitude,
                           message=f"位置已发送到电脑：纬度 {report.latitude}，经度 {report.longitude}。"
                                   "请回到电脑上查看；此二维码已失效")
        problem = svc.location_problem(token)
        if problem:
            return self.render_template("institution/phone.html", error=problem), 410
        return self.render_template("institution/phone.html", error=None)


class ChangeReviewView(BaseView):
    """机构信息变更审核: old and new values side by side, the files, approve / reject with an opinion."""

    route_base = "/changereview"
    edited_models = ()  # review decisions: guarded by the review state machine
    default_view = "list"
    class_permission_name = pages.CHANGE_REVIEW.resource
    method_permission_name = {"list": "read", "show": "read", "file": "read", "decide": "audit"}
    base_permissions = ["can_read", "can_audit"]
    scoped_model = ChangeRequest

    @expose("/list/")
    @has_access
    def list(self):
        status = request.args.get("status", review.SUBMITTED)
        return self.render_template("institution/review_list.html", items=svc.review_queue(g.user, status or None),
                                    status=status, statuses=review.STATUSES, labels=svc.STATUS_LABELS,
                                    fields=svc.SUBJECT_FIELDS)

    def _get(self, pk):
        try:
            return svc.get_for_review(g.user, pk)
        except DomainError:
            abort(404)

    def _render(self, item, errors=(), opinion=""):
        return self.render_template("institution/review.html", item=item, errors=list(errors), opinion=opinion,
                                    fields=svc.SUBJECT_FIELDS, labels=svc.STATUS_LABELS, form=FlaskForm(),
                                    history=svc.history(item), pending=item.status == review.SUBMITTED)

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        return self._render(self._get(pk))

    @expose("/file/<int:pk>/<int:index>")
    @has_access
    def file(self, pk, index):
        item = self._get(pk)
        if index >= len(item.files or []):
            abort(404)
        entry = item.files[index]
        return send_stored(entry.get("path"), entry.get("filename"))

    @expose("/decide/<int:pk>", methods=["POST"])
    @has_access
    def decide(self, pk):
        item = self._get(pk)
        opinion = request.form.get("opinion", "")
        if not FlaskForm().validate_on_submit():
            return self._render(item, ["页面已过期，请重新提交"], opinion)
        action = request.form.get("action")
        try:
            svc.decide(g.user, pk, action, opinion)
        except DomainError as exc:
            db.session.rollback()
            return self._render(self._get(pk), _errors(exc), opinion)
        flash(f"已{'通过' if action == 'approve' else '驳回'}{item.institution.name}的机构信息修改申请", "success")
        return redirect(url_for(".list"))


