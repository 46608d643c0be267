"""GET /api/v1/emergency_summary/ — the region's emergency summary of one day, for the emergency command platform:
the four reports' totals (services/emergency_summary.py: each institution's latest 已上报 report) and the
物资 / 药械 stock and consumption (services/supply_summary.py), over the caller's region or `region` (a region code
inside it). Same rules and the same right (应急资源汇总, read) as the page; SQL GROUP BY in those services."""
import datetime

from flask import request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_appbuilder.security.decorators import permission_name

from app.domain.errors import DomainError
from app.security import pages
from app.services import emergency_reports, emergency_summary, supply_summary

BAD_DAY = "day 格式错误：请写成 2026-11-30"


def _number(value):
    return None if value is None else float(value)


class EmergencySummaryApi(BaseApi):
    resource_name = "emergency_summary"
    class_permission_name = pages.EMERGENCY_SUMMARY.resource
    method_permission_name = {"get": "read"}
    allow_browser_login = False
    openapi_spec_tag = "应急资源汇总"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def get(self):
        """The emergency summary of a region for one day.
        ---
        get:
          summary: 应急资源汇总（某地区某日）
          parameters:
          - in: query
            name: day
            schema: {type: string, format: date}
            description: 日期（默认今天）
          - in: query
            name: region
            schema: {type: string}
            description: 地区代码（本账号辖区内；默认本账号的地区）
          responses:
            200:
              description: 各上报类型的合计与物资/药械存量、消耗
              content:
                application/json:
                  schema: {type: object}
            400:
              description: 参数错误或地区不在辖区内
            401:
              description: 未登录
        """
        from flask import g

        try:
            day = datetime.date.fromisoformat(request.args.get("day") or datetime.date.today().isoformat())
        except ValueError:
            return self.response_400(message=BAD_DAY)
        region_code = request.args.get("region") or None
        try:
            reports = {}
            for kind, label in emergency_reports.KINDS.items():
                s = emergency_summary.totals(g.user, kind, day, day, region_code)
                reports[kind] = {"label": label, "reported": s.reported, "institutions": s.in_scope,
                                 "items": [{"code": code, "name": name, "unit": unit, "total": s.totals.get(code, 0)}
                                           for code, name, unit in s.items]}
            supplies = {}
            for resource in supply_summary.RESOURCES:
                s = supply_summary.summary(g.user, resource, day, region_code)
                supplies[resource] = [{"code": r.code, "name": r.name, "unit": r.unit, "stock": _number(r.stock),
                                       "used": _number(r.used), "average": _number(r.average),
                                       "days": _number(r.days), "low": bool(r.low)} for r in s.items]
            region = emergency_summary.region_for(g.user, region_code)
        except DomainError as exc:
            return self.response_400(message=exc.message)
        return self.response(200, day=day.isoformat(), rule=emergency_summary.RULE,
                             region={"code": region.code, "name": region.name} if region is not None else None,
                             reports=reports, supplies=supplies)
