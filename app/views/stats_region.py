"""区域管理 → 统计概览 (issue 16): the region's staff composition, its institutions compared, staff in post by month,
each chart with its table and drill-down (region → child region → institution → staff list, within scope). The
figures are the services' (services/region_stats.py, services/stats.py); a place outside the scope is refused."""
from flask import g, request, url_for
from flask_appbuilder import BaseView, expose, has_access

from app.domain.errors import DomainError
from app.security import pages
from app.services import region_stats, stats
from app.services.transaction import discard
from app.views.stats import drill_endpoint, drill_url

DEFAULT_DIMENSION = "staff_group"


def staff_list_url(*, region_code=None, institution_id=None, values=None):
    """The staff list behind a figure: 常用统计's drill-down (its link format and list, views/stats.py)."""
    query = stats.Query(institution_id=institution_id, region_code=region_code)
    return drill_url(drill_endpoint(), query, values or {})


class RegionStatsView(BaseView):
    route_base = "/region/stats"
    default_view = "index"
    class_permission_name = pages.REGION_STATS.resource
    method_permission_name = {"index": "read"}
    base_permissions = pages.REGION_STATS.permissions

    @expose("/")
    @has_access
    def index(self):
        args = request.args
        region_code = (args.get("region_code") or "").strip() or None
        institution_id = (args.get("institution_id") or "").strip() or None
        if institution_id is not None and not institution_id.isdigit():
            institution_id = -1  # refused as out of scope below
        dim = args.get("dim") if args.get("dim") in stats.DIMENSIONS else DEFAULT_DIMENSION
        try:
            comparison = region_stats.compare(g.user, region_code, institution_id)
            place = comparison.where
            composition = stats.count(g.user, dim, institution_id=place.institution.id if place.institution else None,
                                      region_code=place.region.code if place.region and not place.institution
                                      else None)
            months = region_stats.by_month(g.user, region_code, institution_id)
        except DomainError as exc:
            discard()
            return self.render_template("stats/region.html", title=pages.REGION_STATS.label, refused=exc.message,
                                        place=None), 403
        here = {"region_code": place.region.code if place.region and not place.institution else None,
                "institution_id": place.institution.id if place.institution else None}
        links = {code: staff_list_url(**here, values={dim: code}) for code, _ in composition.rows}
        return self.render_template(
            "stats/region.html", title=pages.REGION_STATS.label, refused=None, place=place,
            may_completeness=self.appbuilder.sm.has_access("can_read", pages.STATS.resource),
            comparison=comparison, composition=composition, dim=dim, dimensions=stats.DIMENSIONS, months=months,
            links=links, staff_url=staff_list_url(**here), chart_data=_chart_data(comparison, composition, months,
                                                                                links, dim))


def _unit_url(unit):
    if unit.region_code:
        return url_for("RegionStatsView.index", region_code=unit.region_code)
    return url_for("RegionStatsView.index", institution_id=unit.institution_id)


def _chart_data(comparison, composition, months, links, dim) -> dict:
    """What js/region_stats.js draws: each chart's labels, values and the link of each bar."""
    return {
        "composition": {"title": stats.DIMENSIONS[dim].label,
                        "labels": [label for _, label in composition.rows],
                        "values": [composition.cell(code) for code, _ in composition.rows],
                        "links": [links.get(code) for code, _ in composition.rows]},
        "comparison": {"labels": [u.label for u in comparison.units],
                       "staff": [u.staff for u in comparison.units],
                       "completeness": [u.completeness.average for u in comparison.units],
                       "links": [_unit_url(u) for u in comparison.units]}
        if comparison.where.institution is None else None,
        "months": {"labels": [m.label for m in months], "in_post": [m.in_post for m in months],
                   "entered": [m.entered for m in months], "left": [m.left for m in months]},
    }
