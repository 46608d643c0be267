"""试用期填报 (spec 4.2.6, 4.2.7) for institutions and 试用期审核 for the county commission."""
import datetime

from flask import abort, g, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_wtf import FlaskForm

from app.domain import review
from app.domain.errors import DomainError
from app.domain.person import PROBATION_STATUS
from app.extensions import db
from app.models.org import Region
from app.models.people import Probation, ProbationWindow
from app.security import pages
from app.services import dictionaries, reviews
from app.services import probation as svc
from app.views.concurrency import opened_version
from app.views.files import send_stored
from app.views.pages import Errors, act, form_page
from app.views.review_pages import DECIDED, ReviewPages

UPLOADS_LOST = "本次选择的附件没有保存，请修改后重新选择附件"
NOT_SUBMITTED = "已保存为草稿，但未能提交："


def _form_values(filing, person):
    """What the form shows: the saved filing, or sensible defaults for a new one."""
    if filing is None:
        return {"exam_category": person.practice_category or "", "start_date": "", "end_date": "",
                "probation_unit": person.institution.name, "supervisor": "", "supervisor_title": "", "note": ""}
    values = {}
    for key in svc.FIELDS:
        value = getattr(filing, key)
        values[key] = value.strftime("%Y-%m-%d") if isinstance(value, datetime.date) else (value or "")
    return values


def _window_info(region):
    window = svc.window_for(region)
    if window is None:
        return {"text": svc.NO_WINDOW, "open": False, "by": None}
    today = datetime.date.today()
    setter = db.session.get(Region, window.region_id)
    return {"text": f"本年度报名时间为 {svc.window_text(window)}", "open": window.opens_on <= today <= window.closes_on,
            "by": setter.name if setter else None}


def _send_attachment(filing, index, size):
    try:
        path = svc.attachment_path(filing, index, thumb=size == "thumb")
    except DomainError:
        abort(404)
    return send_stored(path)


class ProbationView(BaseView):
    """The institution's list of probation-status staff, the filing form per person, submit / withdraw."""

    route_base = "/probation"
    edited_models = (Probation,)  # what its forms edit (versioned)
    default_view = "list"
    class_permission_name = pages.PROBATION_FILING.resource
    method_permission_name = {"list": "read", "show": "read", "file": "read", "form": "write", "save": "write",
                              "submit": "write", "withdraw": "write"}
    base_permissions = ["can_read", "can_write"]
    scoped_model = Probation  # the tenancy sweep calls every <pk> route with foreign filing ids

    def _person(self, person_id):
        try:
            return svc.get_person(g.user, person_id)
        except DomainError:
            abort(404)

    def _filing(self, pk):
        try:
            return svc.get_filing(g.user, pk)
        except DomainError:
            abort(404)

    @expose("/list/")
    @has_access
    def list(self):
        if not g.user.institution_id:
            return self.render_template("probation/list.html", rows=[], window=None, labels=svc.STATUS_LABELS,
                                        categories={}, status=PROBATION_STATUS, not_institution=True)
        return self.render_template("probation/list.html", rows=svc.roster(g.user.institution_id),
                                    window=_window_info(g.user.institution.region), labels=svc.STATUS_LABELS,
                                    categories=svc.category_names(), status=PROBATION_STATUS,
                                    village=svc.VILLAGE_CLINIC, not_institution=False)

    def _render_form(self, person, filing, errors=Errors(), values=None, readonly=False):
        editable = (filing is None or review.can_edit(filing.status)) and not readonly
        return self.render_template(
            "probation/form.html", person=person, filing=filing, errors=errors,
            values=values or _form_values(filing, person), fields=svc.FIELDS, form=FlaskForm(),
            categories=dictionaries.items("practice_category"), category_names=svc.category_names(),
            labels=svc.STATUS_LABELS,
            editable=editable and person.status == PROBATION_STATUS, status_problem=svc.status_problem(person),
            window=_window_info(person.institution.region), history=reviews.history(svc.REVIEW, filing),
            actions=review.ACTION_LABELS,
            village=svc.VILLAGE_CLINIC, max_attachments=svc.MAX_ATTACHMENTS)

    @expose("/form/<int:person_id>")
    @has_access
    def form(self, person_id):
        person = self._person(person_id)
        return self._render_form(person, svc.filing_of(person))

    @expose("/save/<int:person_id>", methods=["POST"])
    @has_access
    def save(self, person_id):
        person = self._person(person_id)
        values = {key: request.form.get(key, "").strip() for key in svc.FIELDS}
        uploads = [f for f in request.files.getlist("attachments") if f and f.filename]

        def render(errors):
            lost = [UPLOADS_LOST] if uploads else []
            return self._render_form(person, svc.filing_of(person), errors + lost, values)

        def done(filing):
            if request.form.get("action") != "submit":
                return (f"{person.name}的试用期填报已保存为草稿。确认无误后请点击“提交审核”",
                        url_for(".form", person_id=person.id))
            return act(lambda: svc.submit(g.user, filing.id),
                       done=lambda _: (f"{person.name}的试用期填报已提交，请等待上级卫健委审核", url_for(".list")),
                       back=lambda errors: self._render_form(person, svc.filing_of(person),
                                                             Errors([NOT_SUBMITTED + m for m in errors])))

        return form_page(save=lambda: svc.save(g.user, person.id, values, uploads=uploads,
                                               remove=request.form.getlist("remove"), version=opened_version()),
                         render=render, done=done)

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        filing = self._filing(pk)
        return self._render_form(filing.person, filing, readonly=True)

    def _transition(self, pk, fn, message):
        filing = self._filing(pk)
        return act(lambda: fn(g.user, filing.id),
                   done=lambda _: (message.format(name=filing.person.name),
                                   url_for(".form", person_id=filing.person_id)),
                   back=lambda errors: self._render_form(filing.person, self._filing(pk), errors))

    @expose("/submit/<int:pk>", methods=["POST"])
    @has_access
    def submit(self, pk):
        return self._transition(pk, svc.submit, "{name}的试用期填报已提交，请等待上级卫健委审核")

    @expose("/withdraw/<int:pk>", methods=["POST"])
    @has_access
    def withdraw(self, pk):
        return self._transition(pk, svc.withdraw, "{name}的试用期填报" + review.WITHDRAWN_MESSAGE)

    @expose("/file/<int:pk>/<index>")
    @expose("/file/<int:pk>/<index>/<size>")
    @has_access
    def file(self, pk, index, size="full"):
        return _send_attachment(self._filing(pk), index, size)


class ProbationReviewView(ReviewPages, BaseView):
    """County review: the queue of filings in the region subtree, approve / reject, and the registration window."""

    route_base = "/probationreview"
    edited_models = (ProbationWindow,)  # what its forms edit (versioned)
    class_permission_name = pages.PROBATION_REVIEW.resource
    method_permission_name = {"list": "read", "show": "read", "file": "read", "decide": "audit", "window": "write"}
    base_permissions = ["can_read", "can_audit", "can_write"]
    scoped_model = Probation
    reviewable = svc.REVIEW
    list_template, show_template, item_name = "probation/review_list.html", "probation/review.html", "filing"
    statuses = [s for s in review.STATUSES if s != review.DRAFT]  # drafts stay with the institution

    def list_context(self):
        return {"categories": svc.category_names()}

    def show_context(self, filing, refused):
        return {"fields": svc.FIELDS, "category_names": svc.category_names(), "village": svc.VILLAGE_CLINIC}

    def decided(self, filing, action):
        return f"已{DECIDED[action]}{filing.person.name}的试用期填报"

    @expose("/file/<int:pk>/<index>")
    @expose("/file/<int:pk>/<index>/<size>")
    @has_access
    def file(self, pk, index, size="full"):
        return _send_attachment(self._get(pk), index, size)

    @expose("/window", methods=["GET", "POST"])
    @has_access
    def window(self):
        region = g.user.region if g.user.region_id and not g.user.institution_id else None
        year = datetime.date.today().year
        current = None
        values = {"year": str(year), "opens_on": "", "closes_on": ""}
        if region is not None:
            current = next((w for w in svc.windows_of(g.user) if w.year == year), None)
            if current is not None:
                values.update(opens_on=f"{current.opens_on:%Y-%m-%d}", closes_on=f"{current.closes_on:%Y-%m-%d}")
        if request.method == "POST":
            values = {k: request.form.get(k, "").strip() for k in ("year", "opens_on", "closes_on")}
        # the version belongs to the window of the year the form was opened with
        same_year = request.form.get("window_year") == values["year"]

        def render(errors):
            inherited = svc.window_for(region) if region is not None else None
            inherited_by = db.session.get(Region, inherited.region_id) if inherited is not None else None
            return self.render_template("probation/window.html", region=region, values=values, errors=errors,
                                        current=current, form=FlaskForm(),
                                        windows=svc.windows_of(g.user) if region is not None else [],
                                        inherited=inherited, inherited_by=inherited_by, today=datetime.date.today())

        return form_page(
            save=lambda: svc.set_window(g.user, values["year"], values["opens_on"], values["closes_on"],
                                        version=opened_version() if same_year else None),
            render=render,
            done=lambda saved: (f"{region.name if region else ''} {saved.year} 年度试用期报名时间已设置为 "
                                f"{svc.window_text(saved)}", url_for(".window")))
