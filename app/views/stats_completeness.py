"""常用统计 → 资料完整度 (spec 6.1, issue 16): per department and per field, the share of staff whose ★ fields are
filled, and the list of what is missing, each line linking to the person. A page of the 常用统计 right without a menu
entry of its own (常用统计 links to it). An institution account sees its institution; a regional account first picks
one (region → child region → institution, each with its figure), inside its scope."""
from flask import g, request, url_for
from flask_appbuilder import BaseView, expose, has_access

from app.domain.errors import DomainError
from app.security import pages
from app.services import completeness, region_stats
from app.services.transaction import discard


def _int(value):
    value = (value or "").strip()
    if not value:
        return None
    return int(value) if value.isdigit() else -1  # -1: no such row (refused by the service)


class CompletenessView(BaseView):
    route_base = "/stats/completeness"
    default_view = "index"
    class_permission_name = pages.STATS.resource
    method_permission_name = {"index": "read"}
    base_permissions = pages.STATS.permissions

    @expose("/")
    @has_access
    def index(self):
        args = request.args
        institution_id = _int(args.get("institution_id"))
        department_id = _int(args.get("department"))
        field_key = (args.get("field") or "").strip() or None
        page = _int(args.get("page")) or 1
        try:
            report = completeness.by_department(g.user, institution_id)
            if report is None:  # a regional account: the picker
                picker = region_stats.compare(g.user, (args.get("region_code") or "").strip() or None)
                return self.render_template("stats/completeness_picker.html", title="资料完整度", comparison=picker)
            missing = completeness.missing(g.user, report.institution.id, department_id=department_id,
                                           field_key=field_key, page=page)
        except DomainError as exc:
            discard()
            return self.render_template("stats/completeness.html", title="资料完整度", refused=exc.message), 403
        regional = institution_id is not None and g.user.institution_id is None
        query = {"institution_id": report.institution.id if regional else None}

        def page_url(p):
            return url_for(".index", **query, department=department_id, field=field_key, page=p) + "#missing"

        return self.render_template(
            "stats/completeness.html", title="资料完整度", refused=None, report=report, missing=missing,
            query=query, department_id=department_id, field_key=field_key, page_url=page_url,
            department_label=next((line.label for line in report.lines if line.key == department_id), None),
            field_label=dict(completeness.FIELDS).get(field_key),
            person_links=self.appbuilder.sm.has_access("can_read", pages.PEOPLE.resource),
            regional=regional)
