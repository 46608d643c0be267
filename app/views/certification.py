"""实名认证 (spec 2.1) for every account, and 实名认证审核 (spec 7.4) for the reviewers."""
from flask import Response, abort, g, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_login import login_required
from flask_wtf import FlaskForm

from app.domain import review
from app.models.security import RealNameCertification
from app.security import pages
from app.services import certification as certs
from app.services import dictionaries, pdf, reviews
from app.views.concurrency import opened_version
from app.views.files import PDF_CSP, send_stored
from app.views.pages import Errors, act, form_page
from app.views.review_pages import DECIDED, ReviewPages

FILE_FIELDS = {"front": "front_path", "back": "back_path", "scan": "scan_path"}
FIELDS = ("name", "id_type", "id_number", "mobile")


def _typed():
    return {k: request.form.get(k, "").strip() for k in FIELDS}


def _send_stored(cert, kind):
    path = getattr(cert, FILE_FIELDS.get(kind, ""), None) if kind in FILE_FIELDS else None
    return send_stored(path)


class CertificationView(BaseView):
    """The applicant's page: fields, ID photos, the PDF letter, the stamped scan, submit / withdraw."""

    route_base = "/certification"
    edited_models = (RealNameCertification,)  # what its forms edit (versioned)
    default_view = "form"

    def _render(self, errors=Errors(), values=None):
        cert = certs.for_user(g.user)
        values = values or ({"name": cert.name, "id_type": cert.id_type, "id_number": cert.id_number,
                             "mobile": cert.mobile} if cert else {"id_type": "01", "mobile": g.user.mobile or ""})
        return self.render_template(
            "certification/form.html", cert=cert, values=values, errors=errors, form=FlaskForm(),
            id_types=dictionaries.items("id_types"), labels=certs.STATUS_LABELS, not_started=review.NOT_STARTED,
            editable=cert is None or review.can_edit(cert.status), history=reviews.history(certs.REVIEW, cert),
            actions=review.ACTION_LABELS)

    @expose("/", methods=["GET"])
    @login_required
    def form(self):
        return self._render()

    @expose("/save", methods=["POST"])
    @login_required
    def save(self):
        values = _typed()
        return form_page(
            save=lambda: certs.save(g.user, front=request.files.get("front") or None,
                                    back=request.files.get("back") or None, version=opened_version(), **values),
            render=lambda errors: self._render(errors, values),
            done=lambda _: ("已保存。请下载下方的证明文件，打印后加盖人事部门公章，扫描后上传为审核材料，再点击“提交证明材料”",
                            url_for(".form")))

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
        return self._act(lambda: certs.upload_scan(g.user, request.files.get("scan")), "审核材料已上传，请点击“提交证明材料”")

    @expose("/submit", methods=["POST"])
    @login_required
    def submit(self):
        return self._act(lambda: certs.submit(g.user), "已提交，请等待审核。审核通过后即可使用系统")

    @expose("/withdraw", methods=["POST"])
    @login_required
    def withdraw(self):
        return self._act(lambda: certs.withdraw(g.user), "实名认证" + review.WITHDRAWN_MESSAGE)

    def _act(self, call, message):
        """A button of the page: done → flash and back to the page; refused → the page with the refusal."""
        return act(call, done=lambda _: (message, url_for(".form")), back=self._render)

    @expose("/file/<kind>")
    @login_required
    def file(self, kind):
        cert = certs.for_user(g.user)
        if cert is None:
            abort(404)
        return _send_stored(cert, kind)


class CertReviewView(ReviewPages, BaseView):
    """审核队列: filter by status, every field beside the images and the scan, correct, approve or reject."""

    route_base = "/certreview"
    class_permission_name = pages.CERT_REVIEW.resource  # rights: ReviewPages
    scoped_model = RealNameCertification
    reviewable = certs.REVIEW
    list_template, show_template, item_name = "certification/queue.html", "certification/review.html", "cert"

    def show_context(self, cert, refused):
        values = _typed() if refused else {"name": cert.name, "id_type": cert.id_type, "id_number": cert.id_number,
                                           "mobile": cert.mobile}
        return {"values": values, "id_types": dictionaries.items("id_types")}

    def decide_call(self, pk, action, opinion):
        return certs.decide(g.user, pk, action, opinion, corrections=_typed())

    def decided(self, cert, action):
        return f"已{DECIDED[action]} {cert.user.username} 的实名认证"

    @expose("/file/<int:pk>/<kind>")
    @has_access
    def file(self, pk, kind):
        return _send_stored(self._get(pk), kind)
