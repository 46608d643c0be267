"""The pages of services/institutions.py: 机构信息维护 (spec 3.1, the institution's own profile), the 经纬度 QR
helper, and 机构信息变更审核 (the county commission's review of 主体信息 change requests)."""
import io

import segno
from flask import abort, current_app, g, jsonify, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.domain import review
from app.domain.errors import DomainError
from app.extensions import limiter
from app.models.enums import INSTITUTION_KINDS
from app.models.org import Branch, Institution
from app.models.workflow import ChangeRequest
from app.security import pages
from app.services import institutions as svc
from app.views.concurrency import opened_version
from app.views.files import send_stored
from app.views.pages import Errors, act, attempt, form_page
from app.views.review_pages import DECIDED, ReviewPages

TABS = (("basic", "基本信息"), ("info", "机构信息"), ("branches", "分院信息"), ("files", "附件信息"))
BRANCH_FIELDS = ("name", "address", "phone", "head", "latitude", "longitude")


def _found(call, *args):
    """call(*args), or 404 when it refuses (an id outside the caller's institution or scope)."""
    try:
        return call(*args)
    except DomainError:
        abort(404)


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

    def _render(self, tab="basic", errors=Errors(), values=None, change_values=None, reason="", branch_values=None,
                editing=None):
        inst = self._institution()
        values = values or {k: ("" if getattr(inst, k) is None else getattr(inst, k)) for k in svc.EDITABLE_FIELDS}
        return self.render_template(
            "institution/profile.html", inst=inst, tab=tab, tabs=TABS, errors=errors, values=values,
            subject_fields=svc.SUBJECT_FIELDS, editable_fields=svc.EDITABLE_FIELDS, kinds=INSTITUTION_KINDS,
            choices=svc.subject_choices(),
            change_values=change_values or {}, reason=reason, branch_values=branch_values or {}, editing=editing,
            pending=svc.pending_request(inst.id), requests=svc.requests_of(inst.id)[:5],
            field_history=svc.field_history(inst.id)[:20], file_kinds=svc.FILE_KINDS,
            files=svc.files_of(inst.id), form=FlaskForm(), labels=svc.STATUS_LABELS)

    @expose("/")
    @has_access
    def profile(self):
        tab, editing = request.args.get("tab", "basic"), None
        if request.args.get("branch", "").isdigit():  # 分院 修改: the form below the list opens with its values
            editing = _found(svc.get_branch, self._institution(), int(request.args["branch"]))
            tab = "branches"
        return self._render(tab, editing=editing)

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):
        values = {k: request.form.get(k, "") for k in svc.EDITABLE_FIELDS}
        return form_page(save=lambda: svc.update_profile(self._institution(), values, version=opened_version()),
                         render=lambda errors: self._render("info", errors, values),
                         done=lambda _: ("机构信息已保存", url_for(".profile", tab="info")))

    @expose("/branch", methods=["POST"])
    @expose("/branch/<int:pk>", methods=["POST"])
    @has_access
    def branch(self, pk=None):
        inst = self._institution()
        existing = _found(svc.get_branch, inst, pk) if pk else None
        values = {k: request.form.get(k, "") for k in BRANCH_FIELDS}
        return form_page(
            save=lambda: svc.save_branch(inst, values, existing, version=opened_version()),
            render=lambda errors: self._render("branches", errors, branch_values=values,
                                               editing=svc.get_branch(inst, pk) if pk else None),
            done=lambda _: ("分院信息已保存", url_for(".profile", tab="branches")))

    @expose("/branch/<int:pk>/delete", methods=["POST"])
    @has_access
    def branch_delete(self, pk):
        return self._delete(svc.get_branch, svc.delete_branch, pk, "branches", "分院已删除")

    def _delete(self, find, delete, pk, tab, message):
        """A 删除 button of a row of the institution's own: 404 for another's id, then flash and back to the tab."""
        inst = self._institution()
        _found(find, inst, pk)
        back = url_for(".profile", tab=tab)
        return act(lambda: delete(inst, pk), done=lambda _: (message, back), back=back)

    @expose("/upload", methods=["POST"])
    @has_access
    def upload(self):
        return form_page(
            save=lambda: svc.add_file(self._institution(), request.form.get("kind", ""), request.files.get("file")),
            render=lambda errors: self._render("files", errors),
            done=lambda _: ("附件已上传", url_for(".profile", tab="files")))

    @expose("/file/<int:pk>")
    @has_access
    def file(self, pk):
        item = _found(svc.get_file, g.user, pk)
        return send_stored(item.path, item.filename)

    @expose("/file/<int:pk>/delete", methods=["POST"])
    @has_access
    def file_delete(self, pk):
        return self._delete(svc.own_file, svc.delete_file, pk, "files", "附件已删除")

    @expose("/change", methods=["POST"])
    @has_access
    def change(self):
        inst = self._institution()
        wanted = {k: request.form.get(k, "") for k in svc.SUBJECT_FIELDS if request.form.get(f"change_{k}")}
        reason = request.form.get("reason", "")
        return form_page(
            save=lambda: svc.request_change(g.user, wanted, reason, request.files.getlist("files")),
            render=lambda errors: self._render("basic", errors, change_values=wanted, reason=reason),
            done=lambda _: (f"{inst.name}的机构信息修改申请已提交，等待上级卫健委审核", url_for(".profile")))

    @expose("/change/<int:pk>/withdraw", methods=["POST"])
    @has_access
    def withdraw(self, pk):
        _found(svc.own_request, g.user, pk)
        return act(lambda: svc.withdraw_request(g.user, pk),
                   done=lambda _: ("机构信息修改申请" + review.WITHDRAWN_MESSAGE, url_for(".profile")),
                   back=url_for(".profile"))


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
        report = _found(svc.poll_location, g.user.institution, token)
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
            report, errors = attempt(svc.receive_location, token, data.get("latitude"), data.get("longitude"))
            if errors:
                return jsonify(ok=False, message=errors.text()), 400
            return jsonify(ok=True, latitude=report.latitude, longitude=report.longitude,
                           message=f"位置已发送到电脑：纬度 {report.latitude}，经度 {report.longitude}。"
                                   "请回到电脑上查看；此二维码已失效")
        problem = svc.location_problem(token)
        if problem:
            return self.render_template("institution/phone.html", error=problem), 410
        return self.render_template("institution/phone.html", error=None)


class ChangeReviewView(ReviewPages, BaseView):
    """机构信息变更审核: old and new values side by side, the files, approve / reject with an opinion."""

    route_base = "/changereview"
    class_permission_name = pages.CHANGE_REVIEW.resource  # rights: ReviewPages
    scoped_model = ChangeRequest
    reviewable = svc.REVIEW
    list_template, show_template = "institution/review_list.html", "institution/review.html"

    def list_context(self):
        return {"fields": svc.SUBJECT_FIELDS}

    def show_context(self, item, refused):
        return {"fields": svc.SUBJECT_FIELDS}

    def decided(self, item, action):
        return f"已{DECIDED[action]}{item.institution.name}的机构信息修改申请"

    @expose("/file/<int:pk>/<int:index>")
    @has_access
    def file(self, pk, index):
        item = self._get(pk)
        if index >= len(item.files or []):
            abort(404)
        entry = item.files[index]
        return send_stored(entry.get("path"), entry.get("filename"))
