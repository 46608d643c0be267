"""应急物资 / 应急药械 entries over the API (spec 5.5, 5.6; issue 17): one API per menu entry (resource × report,
security/pages.py SUPPLY_PAGES, each with that page's rights), e.g. /api/v1/supply_daily/ for 物资日消耗上报.

- GET list / item: scoped like the page (own institution, region subtree), paged, `modified_since`, `region`, and
  `day_from` / `day_to` (2026-11-30); rison filters on 日期, 物资编码, 类别, 名称.
- POST `{"day": "2026-11-30", "rows": [{"item": code, "quantity": "12", "note": ""}, …], "confirmed": false}`:
  the 上报 form through services/emergency_supplies.py `report` — its refusals 422 with the form's Chinese messages
  (a key reported before names it, `existing` gives the entry to PUT instead); warnings 422 with `warnings` per row
  unless `"confirmed": true`.
- PUT /<id> `{"quantity", "note", "version", "confirmed"}` through `update` (stale version → 409);
  DELETE /<id> (`?version=`) through `delete`.
"""
from flask import g, request
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name

from app.api import COMMON_LABELS, WRITE, ScopedApi, documented, parse_since
from app.domain.errors import DomainError, EditConflict, ValidationFailed
from app.models.emergency_supplies import SupplyEntry
from app.security import pages
from app.services import concurrency
from app.services import emergency_supplies as supplies

COLUMNS = ["id", "institution_id", "resource", "report", "day", "item_code", "category", "name", "spec", "unit",
           "quantity", "note", "warnings", "created_at", "changed_at", "change_count", "version"]
WARNINGS_MESSAGE = "请核对以下提示，确认无误后带上 \"confirmed\": true 再次提交"


class _KeyFilter(BaseFilter):
    name = "上报类型"

    def apply(self, query, value):
        resource, report = value
        return query.filter(self.model.resource == resource, self.model.report == report)


class _DayFrom(BaseFilter):
    name = "日期不早于"

    def apply(self, query, value):
        return query.filter(self.model.day >= value)


class _DayTo(BaseFilter):
    name = "日期不晚于"

    def apply(self, query, value):
        return query.filter(self.model.day <= value)


def _warnings_body(checked):
    return {str(n): found for n, found in sorted(checked.warnings.items()) if found}


def supply_api(resource, report):
    page = pages.SUPPLY_PAGES[(resource, report)]

    class SupplyApi(ScopedApi):
        resource_name = f"{resource}_{report}"
        class_permission_name = page.resource
        datamodel = SQLAInterface(SupplyEntry)
        label_columns = {**COMMON_LABELS, **supplies.LABELS}
        list_title = show_title = page.label
        include_route_methods = WRITE | {"delete"}
        base_filters = [["resource", _KeyFilter, (resource, report)]]
        list_columns = show_columns = COLUMNS
        search_columns = ["day", "item_code", "category", "name"]
        order_columns = ["id", "day", "item_code", "name"]

        def _handle_filters_args(self, rison_args):
            filters = super()._handle_filters_args(rison_args)
            for arg, flt in (("day_from", _DayFrom), ("day_to", _DayTo)):
                if request.args.get(arg):
                    filters.add_filter("day", flt, parse_since(request.args[arg]).date())
            return filters

        def _entries(self, work, status=200):
            try:
                found = work()
            except supplies.NeedsConfirmation as exc:
                return self.response(422, message=WARNINGS_MESSAGE, warnings=_warnings_body(exc.checked))
            except EditConflict as exc:
                return self.response(409, message=exc.message, errors={"version": exc.errors})
            except ValidationFailed as exc:
                from app.api import _errors

                body = {"message": exc.message, "errors": _errors(exc)}
                existing = getattr(exc, "existing", None)
                if existing:
                    body["existing"] = {str(n): pk for n, pk in existing.items()}
                return self.response(422, **body)
            except DomainError as exc:
                if exc.message == supplies.NOT_FOUND:
                    return self.response_404()
                return self.response_400(message=exc.message)
            if found is None:
                return self.response(status, message="已删除")
            if isinstance(found, list):
                return self.response(status, ids=[e.id for e in found],
                                     result=[self.show_model_schema.dump(e) for e in found])
            return self.response(status, id=found.id, version=found.version,
                                 result=self.show_model_schema.dump(found))

        @expose("/", methods=["POST"])
        @protect()
        @safe
        @permission_name("post")
        @documented("post", "上报一张表（day、rows；有提示时带上 confirmed 为 true）")
        def post(self):
            def work():
                data = self._payload()
                rows = data.get("rows")
                if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                    raise DomainError("rows 须为数组，每行含 item、quantity、note")
                rows = [{k: ("" if r.get(k) is None else str(r.get(k))) for k in ("item", "quantity", "note")}
                        for r in rows]
                return supplies.report(g.user, resource, report, str(data.get("day") or ""), rows,
                                       confirmed=data.get("confirmed") is True)
            return self._entries(work, 201)

        @expose("/<int:pk>", methods=["PUT"])
        @protect()
        @safe
        @permission_name("put")
        @documented("put", "修改数量和备注（带上 version；有提示时带上 confirmed 为 true）")
        def put(self, pk):
            if self._item(pk) is None:
                return self.response_404()

            def work():
                data = self._payload()
                entry = self._item(pk)
                quantity = data.get("quantity", entry.quantity)
                note = data.get("note", entry.note) or ""
                return supplies.update(g.user, pk, "" if quantity is None else str(quantity), str(note),
                                       version=self._version(data), confirmed=data.get("confirmed") is True)
            return self._entries(work)

        @expose("/<int:pk>", methods=["DELETE"])
        @protect()
        @safe
        @permission_name("delete")
        def delete(self, pk):
            """删除
            ---
            delete:
              summary: 删除（带上 ?version=）
              parameters:
              - in: path
                name: pk
                required: true
                schema: {type: integer}
              - in: query
                name: version
                schema: {type: integer}
              responses:
                200:
                  description: 已删除
                404:
                  description: 记录不存在，或不在您的权限范围内
                409:
                  description: 记录已被他人修改（version 过期）
            """
            if self._item(pk) is None:
                return self.response_404()
            body = request.get_json(silent=True) or {}
            version = concurrency.parse(request.args.get("version", body.get("version")))
            return self._entries(lambda: supplies.delete(g.user, pk, version=version))

    name = "".join(part.title() for part in f"{resource}_{report}".split("_"))
    SupplyApi.__name__ = SupplyApi.__qualname__ = f"{name}Api"
    SupplyApi.__doc__ = f"{page.label}: read, 上报, 修改, 删除 through services/emergency_supplies.py."
    return SupplyApi


def supply_apis():
    return [supply_api(resource, report) for resource, report in pages.SUPPLY_PAGES]
