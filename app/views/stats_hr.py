"""常用报表 (issue 16): the 卫生人力基本信息 export (the annual 卫统 submission) and 证书到期提醒 — pages of the
常用报表 right without a menu entry of their own (the 常用报表 page links to them).

An institution's account reads its own institution; a regional account picks an institution of its scope
(`/basic/<pk>`, `/expiring/<pk>`: 404 outside the scope). Rules and queries: services/hr_basic.py,
services/cert_expiry.py.
"""
import datetime

from flask import abort, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select

from app.extensions import db
from app.models.org import Institution
from app.security import pages
from app.security.masking import shown_id
from app.services import cert_expiry, hr_basic
from app.services.scope import scope_of
from app.views.files import send_workbook
from app.views.pages import Errors


class HrReportView(BaseView):
    route_base = "/stats/hr"
    default_view = "basic"
    class_permission_name = pages.STAT_REPORTS.resource
    method_permission_name = {"basic": "read", "expiring": "read", "basic_export": "export",
                              "expiring_export": "export"}
    base_permissions = pages.STAT_REPORTS.permissions
    scoped_model = Institution  # every <pk> is an institution, 404 outside the caller's scope (tenancy sweep)

    # ---- which institution ---------------------------------------------------------------------------------------

    def _institution(self, pk):
        """The institution of `pk` when the caller's scope holds it (404 otherwise)."""
        if pk is None or not scope_of(g.user).allows_institution(pk):
            abort(404)
        return db.session.get(Institution, pk) or abort(404)

    def _choices(self):
        """The institutions a regional account may pick (an institution's account has only its own)."""
        clause = scope_of(g.user).institutions_clause(Institution.id)
        stmt = select(Institution.id, Institution.name).order_by(Institution.code)
        return db.session.execute(stmt if clause is None else stmt.where(clause)).all()

    def _chosen(self, endpoint, pk):
        """(institution or None, redirect or None) for a page opened with or without <pk>: an institution's account
        goes to its own; a regional one picks (`?institution=`) or sees the picker."""
        if pk is not None:
            return self._institution(pk), None
        args = {k: v for k, v in request.args.items() if k != "institution"}
        own = g.user.institution_id
        picked = request.args.get("institution", "")
        target = own or (int(picked) if picked.isdigit() else None)
        if target is not None:
            return None, redirect(url_for(endpoint, pk=target, **args))
        return None, None

    def _can_export(self):
        return self.appbuilder.sm.has_access("can_export", self.class_permission_name)

    # ---- 卫生人力基本信息 ------------------------------------------------------------------------------------------

    @expose("/basic")
    @expose("/basic/<int:pk>")
    @has_access
    def basic(self, pk=None):
        inst, go = self._chosen(".basic", pk)
        if go is not None:
            return go
        year, problem = hr_basic.year_problem(request.args.get("year"))
        context = {"inst": inst, "choices": [] if g.user.institution_id else self._choices(),
                   "year_text": request.args.get("year", ""), "year_hint": datetime.date.today().year,
                   "errors": Errors([("year", problem)] if problem else []),
                   "can_export": self._can_export(), "title": "卫生人力基本信息"}
        if inst is not None and year is not None:
            context.update(year=year, headers=hr_basic.headers(), total=hr_basic.count(inst.id, year),
                           preview=list(hr_basic.rows(inst.id, year, shown_id, limit=hr_basic.PREVIEW_ROWS)),
                           empty=hr_basic.empty_items(inst.id, year))
        return self.render_template("stats/hr_basic.html", **context)

    @expose("/basic/<int:pk>/export")
    @has_access
    def basic_export(self, pk):
        inst = self._institution(pk)
        year, problem = hr_basic.year_problem(request.args.get("year"))
        if problem:
            return redirect(url_for(".basic", pk=pk, year=request.args.get("year")))
        return send_workbook(hr_basic.workbook(inst, year, shown_id), f"卫生人力基本信息_{inst.name}_{year}.xlsx")

    # ---- 证书到期提醒 --------------------------------------------------------------------------------------------

    @expose("/expiring")
    @expose("/expiring/<int:pk>")
    @has_access
    def expiring(self, pk=None):
        inst, go = self._chosen(".expiring", pk)
        if go is not None:
            return go
        days, problem = cert_expiry.days_problem(request.args.get("days"))
        context = {"inst": inst, "choices": [] if g.user.institution_id else self._choices(),
                   "days_text": request.args.get("days", ""), "days": days or cert_expiry.DEFAULT_DAYS,
                   "errors": Errors([("days", problem)] if problem else []), "can_export": self._can_export(),
                   "state": cert_expiry.state, "shown": cert_expiry.SHOWN, "title": "证书到期提醒"}
        if inst is not None and days is not None:
            context["report"] = cert_expiry.report(inst.id, days)
        return self.render_template("stats/hr_expiring.html", **context)

    @expose("/expiring/<int:pk>/export")
    @has_access
    def expiring_export(self, pk):
        inst = self._institution(pk)
        days, problem = cert_expiry.days_problem(request.args.get("days"))
        if problem:
            return redirect(url_for(".expiring", pk=pk, days=request.args.get("days")))
        return send_workbook(cert_expiry.workbook(inst, days),
                             f"证书到期提醒_{inst.name}_{datetime.date.today():%Y%m%d}.xlsx")
