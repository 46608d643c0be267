"""The REST API under /api/v1 for the province's other systems (issue 17): FAB ModelRestApi classes over the
institution-owned tables, all through `TenantModelRestApi` (security/tenancy.py), so a row outside the caller's
institution or region answers 404 exactly as the pages do.

- Reading: FAB's list (`GET /api/v1/<name>/?q=(page:0,page_size:100)`) and item (`GET /api/v1/<name>/<id>`), ordered
  by id (stable pages), and `?modified_since=2026-11-30` (or `2026-11-30T08:00:00`): only rows created or changed
  since then (the audit trail, services/audit.py, records every change; `person.updated_at` too); `?region=420115`:
  only the institutions of that region's subtree (always inside the caller's own scope).
  证件号码 are masked unless the caller holds 查看完整证件号 (security/masking.py `shown_id`).
- Writing (POST / PUT) never goes through FAB's schema and datamodel: each goes through the service the form uses
  (services/people.py save_person / save_detail, departments, posts), so the same rules answer with the same Chinese
  messages — a refusal is 422 `{"message", "errors": {field: [messages]}}`; a stale `version` is 409 with the
  message of services/concurrency.py; the audit trail records the change as for a form.
- Accounts: only an account with the subsystem 开放接口 (models/enums.py API_SUBSYSTEM) gets a token
  (security/manager.py AppSecurityApi.login).
"""
import datetime

from flask import g, request
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.exceptions import FABException
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name
from sqlalchemy import String, cast, or_, select

from app.domain.errors import DomainError, EditConflict, ValidationFailed
from app.extensions import db
from app.models.audit import AuditLog
from app.models.emergency_registers import Equipment, Vehicle
from app.models.emergency_reports import EmergencyReport, EmergencyReportLine
from app.models.movements import Resignation
from app.models.org import Department, Institution, Post, Region
from app.models.people import Person
from app.security import pages
from app.security.masking import shown_id
from app.security.tenancy import TenantModelRestApi
from app.services import departments, emergency_registers, emergency_reports, people, resignations
from app.services import posts as post_service
from app.services.scope import region_institution_ids, scope_of

READ = {"get", "get_list", "info"}
COMMON_LABELS = {"id": "编号", "institution_id": "机构编号", "person_id": "人员编号", "department_id": "科室编号",
                 "parent_id": "上级部门编号", "post_id": "岗位编号", "standard_post_id": "标准岗位编号",
                 "version": "版本号（修改时带上）", "created_at": "创建时间", "updated_at": "修改时间", "status": "状态",
                 "note": "备注", "code": "代码", "name": "名称", "kind": "类别", "region.code": "地区代码",
                 "region.name": "地区", "person.name": "姓名"}
WRITE = READ | {"post", "put"}
MAX_PAGE_SIZE = 500
BAD_SINCE = "modified_since 格式错误：请写成 2026-11-30 或 2026-11-30T08:00:00"
NOT_FOUND = "记录不存在，或不在您的权限范围内"


_WRITE_DOC = """{summary}
---
{method}:
  summary: {summary}
{params}  requestBody:
    required: true
    content:
      application/json:
        schema: {{type: object}}
  responses:
    {ok}:
      description: 已保存：id、version（下次修改时带上）与保存后的记录
      content:
        application/json:
          schema: {{type: object}}
    400:
      description: 请求错误（中文 message）
    401:
      description: 未登录或令牌失效
    403:
      description: 没有权限
    404:
      description: 记录不存在，或不在您的权限范围内
    409:
      description: 记录已被他人修改（version 过期），message 说明由谁、何时修改
    422:
      description: 校验未通过，errors 按字段列出与网页表单相同的中文提示
"""


def documented(method, summary):
    """The OpenAPI text of a POST / PUT written here (FAB documents only its own)."""
    def mark(func):
        params = ("  parameters:\n  - in: path\n    name: pk\n    required: true\n    schema: {type: integer}\n"
                  if method == "put" else "")
        func.__doc__ = _WRITE_DOC.format(method=method, summary=summary, ok=201 if method == "post" else 200,
                                         params=params)
        return func
    return mark


class ModifiedSince(BaseFilter):
    """Rows created or changed at or after the value (a datetime): the audit trail names every changed row."""

    name = "修改时间不早于"

    def apply(self, query, value):
        model = self.model
        changed = select(AuditLog.entity_id).where(AuditLog.entity == model.__tablename__, AuditLog.at >= value)
        clause = cast(model.id, String).in_(changed)
        if hasattr(model, "updated_at"):
            clause = or_(model.updated_at >= value, clause)
        return query.filter(clause)


class InRegion(BaseFilter):
    """Rows of the institutions in a region's subtree (`?region=420115`: a county), inside the caller's scope."""

    name = "所属地区"

    def apply(self, query, value):
        return query.filter(getattr(self.model, self.column_name).in_(region_institution_ids(value)))


class BadArgument(FABException):
    pass


def parse_since(text: str) -> datetime.datetime:
    try:
        value = datetime.datetime.fromisoformat(text.strip().replace("Z", ""))
    except ValueError:
        raise BadArgument(BAD_SINCE) from None
    return value.replace(tzinfo=None)


def _errors(exc: ValidationFailed) -> dict:
    found = {}
    for item in exc.items:
        found.setdefault(item.field or "_", []).append(item.message)
    return found


class ScopedApi(TenantModelRestApi):
    """Base of every API here: scoped, ordered by id, paged, `modified_since`, read-only unless it says so."""

    include_route_methods = READ
    label_columns = COMMON_LABELS
    base_order = ("id", "asc")
    page_size = 50
    max_page_size = MAX_PAGE_SIZE
    allow_browser_login = False

    def _handle_filters_args(self, rison_args):
        filters = super()._handle_filters_args(rison_args)
        since = request.args.get("modified_since")
        if since:
            filters.add_filter("id", ModifiedSince, parse_since(since))
        code = request.args.get("region")
        if code:
            region = db.session.scalar(select(Region).where(Region.code == code.strip()))
            if region is None:
                raise BadArgument(f"地区代码“{code}”不存在")
            filters.add_filter(self.tenant_column, InRegion, region.path)
        return filters

    @property
    def edited_models(self):
        """What its POST / PUT write (versioned: a stale `version` → 409); tests/services/test_versioning.py."""
        return (self.datamodel.obj,)

    def response_404(self, **kwargs):
        return self.response(404, message=NOT_FOUND)

    def _item(self, pk):
        return self.datamodel.get(pk, self._base_filters)

    def _answer(self, work, status=200):
        """Run one service call; its refusals as the API's answers (422 / 409 / 400), in Chinese."""
        try:
            item = work()
        except EditConflict as exc:
            return self.response(409, message=exc.message, errors={"version": exc.errors})
        except ValidationFailed as exc:
            return self.response(422, message=exc.message, errors=_errors(exc))
        except DomainError as exc:
            return self.response_400(message=exc.message)
        return self.response(status, id=item.id, version=getattr(item, "version", None),
                             result=self.show_model_schema.dump(item))

    def _institution(self):
        scope = scope_of(g.user)
        if scope.kind != "institution":
            raise DomainError("只有机构账号可以通过接口录入本机构数据")
        return db.session.get(Institution, scope.institution_id)

    @staticmethod
    def _payload() -> dict:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise DomainError("请求体须为 JSON 对象")
        return data

    @staticmethod
    def _version(data):
        from app.services.concurrency import parse

        return parse(data.get("version"))


class InstitutionApi(ScopedApi):
    """机构 (read): the caller's institution, or the institutions of its region."""

    resource_name = "institution"
    class_permission_name = pages.INSTITUTION_PROFILE.resource
    datamodel = SQLAInterface(Institution)
    tenant_column = "id"
    label_columns = {**COMMON_LABELS, **{"code": "统一社会信用代码", "name": "机构名称", "kind": "机构类别"}}
    list_title = show_title = "机构"
    list_columns = show_columns = ["id", "code", "name", "kind", "region.code", "region.name", "version"]


class RegionInstitutionApi(InstitutionApi):
    """辖区机构 (read): the institutions of a region account's subtree (the right of the 辖区机构 page)."""

    resource_name = "region_institution"
    class_permission_name = pages.REGION_INSTITUTIONS.resource


class DepartmentApi(ScopedApi):
    """部门: read, add and change through services/departments.py."""

    resource_name = "department"
    class_permission_name = pages.DEPARTMENTS.resource
    datamodel = SQLAInterface(Department)
    label_columns = {**COMMON_LABELS, **departments.LABELS}
    list_title = show_title = "部门"
    include_route_methods = WRITE
    list_columns = show_columns = ["id", "institution_id", "parent_id", "name", "category", "standard_code", "seq",
                                   "active", "head", "phone", "version"]
    FIELDS = ("name", "category", "standard_code", "parent_id", "seq", "active", "head", "phone")

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    @documented("post", "新增")
    def post(self):
        def work():
            data = self._payload()
            values = {k: data.get(k) for k in self.FIELDS if k in data}
            return departments.create(self._institution().id, **values)
        return self._answer(work, 201)

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    @documented("put", "修改（带上 version）")
    def put(self, pk):
        dept = self._item(pk)
        if dept is None:
            return self.response_404()

        def work():
            data = self._payload()
            values = {k: getattr(dept, k) for k in self.FIELDS}
            values.update({k: data[k] for k in self.FIELDS if k in data})
            return departments.update(dept.institution_id, dept.id, **values, version=self._version(data))
        return self._answer(work)


class PostApi(ScopedApi):
    """机构岗位: read, add and change through services/posts.py."""

    resource_name = "post"
    class_permission_name = pages.POSTS.resource
    datamodel = SQLAInterface(Post)
    label_columns = {**COMMON_LABELS, **post_service.POST_LABELS}
    list_title = show_title = "机构岗位"
    include_route_methods = WRITE
    list_columns = show_columns = ["id", "institution_id", "name", "category", "description", "active",
                                   "standard_post_id", "version"]
    FIELDS = ("name", "category", "description", "active")

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    @documented("post", "新增")
    def post(self):
        def work():
            data = self._payload()
            return post_service.create(self._institution().id, **{k: data.get(k) for k in self.FIELDS if k in data})
        return self._answer(work, 201)

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    @documented("put", "修改（带上 version）")
    def put(self, pk):
        post = self._item(pk)
        if post is None:
            return self.response_404()

        def work():
            data = self._payload()
            values = {k: getattr(post, k) for k in self.FIELDS}
            values.update({k: data[k] for k in self.FIELDS if k in data})
            return post_service.update(post.institution_id, post.id, **values, version=self._version(data))
        return self._answer(work)


class MaskedIdMixin:
    """证件号码 as the caller may see them (查看完整证件号, security/masking.py)."""

    id_columns = ("id_number",)

    def _mask(self, row):
        for key in self.id_columns:
            if isinstance(row, dict) and row.get(key):
                row[key] = shown_id(row[key])

    def pre_get(self, data):
        self._mask(data.get("result"))

    def pre_get_list(self, data):
        for row in data.get("result") or []:
            self._mask(row)


def _plain(value):
    return value.isoformat() if isinstance(value, datetime.date) else value


class StaffApi(MaskedIdMixin, ScopedApi):
    """人员基本信息: read; add and change through services/people.py save_person (the form's rules and messages)."""

    resource_name = "staff"
    class_permission_name = pages.PEOPLE.resource
    datamodel = SQLAInterface(Person)
    label_columns = {**COMMON_LABELS, **people.LABELS}
    list_title = show_title = "人员基本信息"
    include_route_methods = WRITE
    list_columns = show_columns = ["id", "institution_id", *people.BASIC_FIELDS, "created_at", "updated_at",
                                   "version"]
    # no search or sort on 证件号码: a caller without 查看完整证件号 could probe full numbers with them
    search_columns = ["name", "department_id", "post_id", "status", "staff_no"]
    order_columns = ["id", "name", "staff_no", "department_id", "updated_at"]

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    @documented("post", "新增")
    def post(self):
        def work():
            data = self._payload()
            raw = {k: data.get(k) for k in people.BASIC_FIELDS}
            person, _warnings = people.save_person(self._institution(), raw)
            return person
        return self._answer(work, 201)

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    @documented("put", "修改（带上 version）")
    def put(self, pk):
        person = self._item(pk)
        if person is None:
            return self.response_404()

        def work():
            data = self._payload()
            raw = {k: _plain(getattr(person, k)) for k in people.BASIC_FIELDS}
            raw.update({k: data[k] for k in people.BASIC_FIELDS if k in data})
            saved, _warnings = people.save_person(person.institution, raw, person, version=self._version(data))
            return saved
        return self._answer(work)

    def _answer(self, work, status=200):
        resp = super()._answer(work, status)
        if resp.status_code < 300:
            data = resp.get_json()
            self._mask(data.get("result"))
            return self.response(resp.status_code, **data)
        return resp


def detail_api(detail_set):
    """The API of one detail set (工作经历, 教育经历, …): read; add and change through services/people.py save_detail
    (the form's rules; no attachment needed, as in the batch import)."""
    fields = [f.key for f in detail_set.fields]
    labels = {f.key: f.label for f in detail_set.fields}

    class DetailApi(ScopedApi):
        resource_name = f"staff_{detail_set.key}"
        class_permission_name = pages.PEOPLE.resource
        datamodel = SQLAInterface(detail_set.model)
        label_columns = {**COMMON_LABELS, **labels}
        list_title = show_title = detail_set.label
        include_route_methods = WRITE
        list_columns = show_columns = ["id", "person_id", "institution_id", *fields, "created_at", "version"]
        search_columns = ["person_id"]

        @expose("/", methods=["POST"])
        @protect()
        @safe
        @permission_name("post")
        @documented("post", "新增")
        def post(self):
            def work():
                data = self._payload()
                self._institution()
                person_id = data.get("person_id")
                person = db.session.get(Person, int(person_id)) if str(person_id or "").isdigit() else None
                if person is None or not scope_of(g.user).allows_institution(person.institution_id):
                    raise ValidationFailed([("person_id", "人员不存在，或不在您的权限范围内")])
                return people.save_detail(person, detail_set.key, {k: data.get(k) for k in fields}, batch=True)
            return self._answer(work, 201)

        @expose("/<int:pk>", methods=["PUT"])
        @protect()
        @safe
        @permission_name("put")
        @documented("put", "修改（带上 version）")
        def put(self, pk):
            entry = self._item(pk)
            if entry is None:
                return self.response_404()

            def work():
                data = self._payload()
                raw = {k: _plain(getattr(entry, k)) for k in fields}
                raw.update({k: data[k] for k in fields if k in data})
                person = db.session.get(Person, entry.person_id)
                return people.save_detail(person, detail_set.key, raw, entry=entry, version=self._version(data),
                                          batch=True)
            return self._answer(work)

    DetailApi.__name__ = DetailApi.__qualname__ = f"Staff{detail_set.key.title()}Api"
    return DetailApi


class ResignationApi(ScopedApi):
    """员工离职 (read)."""

    resource_name = "resignation"
    class_permission_name = pages.RESIGNATIONS.resource
    datamodel = SQLAInterface(Resignation)
    label_columns = {**COMMON_LABELS, **resignations.LABELS}
    list_title = show_title = "员工离职"
    list_columns = show_columns = ["id", "institution_id", "person_id", "person.name", "flow_type", "leave_date",
                                   "note", "status", "opinion", "created_at", "submitted_at", "reviewed_at", "version"]


def register_api(model, resource, page, columns, labels):
    return type(f"{model.__name__}Api", (ScopedApi,), {
        "resource_name": resource, "class_permission_name": page.resource, "datamodel": SQLAInterface(model),
        "list_columns": columns, "show_columns": columns, "label_columns": {**COMMON_LABELS, **labels},
        "list_title": page.label, "show_title": page.label, "__doc__": f"{page.label} (read)."})


def report_api(kind, page):
    """One kind of emergency report (read): its header, and on the item its lines (indicator code → value)."""

    class ReportApi(ScopedApi):
        resource_name = f"emergency_report_{kind}"
        class_permission_name = page.resource
        datamodel = SQLAInterface(EmergencyReport)
        label_columns = {**COMMON_LABELS, **emergency_reports.LABELS}
        list_title = show_title = page.label
        base_filters = [["kind", _KindFilter, kind]]
        list_columns = show_columns = ["id", "institution_id", "kind", "report_date", "status", "note",
                                       "created_at", "reported_at", "return_reason", "version"]

        def pre_get(self, data):
            rows = db.session.execute(select(EmergencyReportLine.item_code, EmergencyReportLine.value)
                                      .where(EmergencyReportLine.report_id == int(data["id"]))
                                      .order_by(EmergencyReportLine.id))
            data["result"]["lines"] = [{"item_code": code, "value": value} for code, value in rows]

    ReportApi.__name__ = ReportApi.__qualname__ = f"{kind.title()}ReportApi"
    ReportApi.__doc__ = f"{page.label} (read)."
    return ReportApi


class _KindFilter(BaseFilter):
    name = "上报类型"

    def apply(self, query, value):
        return query.filter(self.model.kind == value)


def apis():
    """Every API class of /api/v1, in the order of the OpenAPI document."""
    from app.api.summary import EmergencySummaryApi
    from app.api.supplies import supply_apis

    common = ["purchase_date", "status", "note", "created_at", "version"]
    vehicle_cols = ["id", "institution_id", "department_id", "plate_no", "vehicle_type", "brand_model", "vin", *common]
    equipment_cols = ["id", "institution_id", "department_id", "name", "equipment_type", "brand", "model_spec",
                      "quantity", *common]
    return [InstitutionApi, RegionInstitutionApi, DepartmentApi, PostApi, StaffApi,
            *(detail_api(s) for s in people.DETAIL_SETS.values()),
            ResignationApi,
            register_api(Vehicle, "vehicle", pages.VEHICLES, vehicle_cols, emergency_registers.VEHICLE_LABELS),
            register_api(Equipment, "equipment", pages.EQUIPMENT, equipment_cols, emergency_registers.EQUIPMENT_LABELS),
            report_api("capacity", pages.CAPACITY_REPORTS), report_api("vehicle", pages.VEHICLE_REPORTS),
            report_api("equipment", pages.EQUIPMENT_REPORTS), report_api("drug", pages.DRUG_REPORTS),
            *supply_apis(), EmergencySummaryApi]


def register(appbuilder):
    """Called once by views/__init__.py register()."""
    for api in apis():
        appbuilder.add_api(api)
