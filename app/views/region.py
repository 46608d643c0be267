"""区域管理: pages of regional accounts over the institutions of their region subtree (辖区机构, 人员流动)."""
import datetime

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.models.filters import BaseFilter
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, ValidationError
from wtforms.validators import DataRequired, Length

from app.domain.dates import parse_date
from app.domain.errors import DomainError
from app.models.enums import INSTITUTION_KINDS
from app.models.org import Institution
from app.security import pages
from app.security.filters import AppInterface
from app.security.masking import shown_id
from app.security.tenancy import TenantModelView
from app.services import institutions as svc
from app.services import transfers
from app.services.scope import scope_of
from app.views.concurrency import opened_version
from app.views.files import send_workbook
from app.views.pages import Errors, act


class RegionInScope(BaseFilter):
    """Regions of the caller's subtree (for the 所属区域 dropdowns)."""

    name = "辖区"

    def apply(self, query, value):
        s = scope_of(g.user)
        if s.kind == "all":
            return query
        if s.kind == "region":
            return query.filter(self.model.path.startswith(s.region_path))
        return query.filter(self.model.id.is_(None))


def _code_rule(form, field):
    problems = svc._subject_problems("code", (field.data or "").strip().upper(), None)
    if problems:
        raise ValidationError("；".join(problems))
    field.data = field.data.strip().upper()


def _name_rule(form, field):
    problems = svc._subject_problems("name", (field.data or "").strip(), None)
    if problems:
        raise ValidationError("；".join(problems))


class RegionInstitutionView(TenantModelView):
    """辖区机构: the institutions of the caller's region subtree (list with filters, read-only detail), and 新增."""

    datamodel = AppInterface(Institution)
    tenant_column = "id"
    class_permission_name = pages.REGION_INSTITUTIONS.resource
    # Existing institutions are changed by their own accounts and the change-request review, never edited here.
    method_permission_name = {"list": "read", "show": "read", "add": "write", "edit": "none", "delete": "none",
                              "download": "read", "action": "none", "action_post": "none", "internet": "write"}
    edited_models = (Institution,)  # the 允许互联网访问 form on the detail page (versioned)
    show_template = "region/show.html"
    base_permissions = pages.REGION_INSTITUTIONS.permissions
    list_title = show_title = pages.REGION_INSTITUTIONS.label
    add_title = "新增机构"
    list_columns = ["name", "code", "region", "kind", "is_large_public", "internet_access", "head", "phone"]
    show_columns = ["name", "code", "region", "kind", "category", "economic_type", "grade", "legal_representative",
                    "registration_authority", "is_large_public", "internet_access", "address", "postcode", "phone",
                    "email", "website", "beds", "opened_on", "head", "head_phone", "latitude", "longitude",
                    "description"]
    add_columns = ["name", "code", "region", "kind", "is_large_public", "address", "phone", "head"]
    edit_columns = add_columns
    search_columns = ["name", "code", "region", "kind", "is_large_public", "internet_access"]
    search_form_query_rel_fields = {"region": [["id", RegionInScope, None]]}
    add_form_query_rel_fields = {"region": [["id", RegionInScope, None]]}
    label_columns = {
        "name": "机构名称", "code": "统一社会信用代码", "region": "所属区域", "kind": "机构类型", "category": "机构类别",
        "economic_type": "经济类型", "grade": "机构级别", "legal_representative": "法定代表人",
        "registration_authority": "登记机关", "is_large_public": "大型公立医疗机构", "internet_access": "允许互联网访问",
        "address": "地址", "postcode": "邮政编码", "phone": "联系电话", "email": "电子邮箱", "website": "网址",
        "beds": "编制床位", "opened_on": "开业日期", "head": "负责人", "head_phone": "负责人电话", "latitude": "纬度",
        "longitude": "经度", "description": "机构简介",
    }
    description_columns = {"is_large_public": "大型公立医疗机构默认只能通过卫生专网访问",
                           "code": "18 位，含校验位（GB 32100）"}
    add_form_extra_fields = {
        "name": StringField("机构名称", validators=[DataRequired("请填写机构名称"), Length(max=100), _name_rule]),
        "code": StringField("统一社会信用代码", validators=[DataRequired("请填写统一社会信用代码"), _code_rule]),
        "kind": SelectField("机构类型", choices=[(k, k) for k in INSTITUTION_KINDS]),
        "is_large_public": BooleanField("大型公立医疗机构"),
    }
    base_order = ("code", "asc")

    def pre_add(self, item):
        problems = svc.check_new_institution(g.user, item.name, item.code, item.region, item.kind)
        if problems:
            raise ValueError("；".join(problems))
        item.internet_access = not item.is_large_public

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        pk = self._deserialize_pk_if_composite(pk)
        widgets = self._show(pk)  # 404 outside the caller's scope
        return self.render_template(self.show_template, pk=pk, title=self.show_title, widgets=widgets,
                                    related_views=self._related_views, institution=self.datamodel.get(pk),
                                    form=FlaskForm(), can_write=self.appbuilder.sm.has_access(
                                        "can_write", self.class_permission_name))

    @expose("/internet/<int:pk>", methods=["POST"])
    @has_access
    def internet(self, pk):
        allowed = request.form.get("internet_access") == "y"
        back = url_for(".show", pk=pk)

        def refused(errors):
            if any("不在本辖区" in e for e in errors):
                abort(404)
            flash("未保存：" + errors.text(), "danger")
            return redirect(back)

        return act(lambda: svc.set_internet_access(g.user, pk, allowed, version=opened_version()), back=refused,
                   done=lambda inst: (f"{inst.name}已{'允许' if allowed else '不再允许'}通过互联网访问；"
                                      "该机构账号的登录已失效，需重新登录", back))


def _period():
    """(start, end, problems) of the 人员流动 filter: 本年 1 月 1 日 to today unless the query names dates."""
    today = datetime.date.today()
    bounds, problems = {}, []
    for key, label, default in (("start", "开始日期", today.replace(month=1, day=1)), ("end", "结束日期", today)):
        try:
            bounds[key] = parse_date(request.args.get(key, "").strip(), label) or default
        except ValueError as exc:
            problems.append((key, str(exc)))
            bounds[key] = default
    if bounds["start"] > bounds["end"]:
        problems.append(("end", "结束日期不能早于开始日期"))
        bounds["start"], bounds["end"] = bounds["end"], bounds["start"]
    return bounds["start"], bounds["end"], problems


class MovementView(BaseView):
    """区域管理 → 人员流动: movements of the region subtree in a period (流出, 流入, 待处理调动申请), Excel export."""

    route_base = "/movements"
    default_view = "list"
    class_permission_name = pages.MOVEMENTS.resource
    method_permission_name = {"list": "read", "export": "read"}
    base_permissions = pages.MOVEMENTS.permissions

    def _data(self):
        start, end, problems = _period()
        choices = transfers.region_institutions(g.user)
        chosen = request.args.get("institution", "")
        institution_id = int(chosen) if chosen.isdigit() and int(chosen) in {i.id for i in choices} else None
        try:
            data = transfers.movements(g.user, start, end, institution_id)
        except DomainError as exc:
            problems.append((None, exc.message))
            data = {"out": [], "in": [], "pending": []}
        return start, end, institution_id, choices, data, Errors(problems)

    @expose("/list/")
    @has_access
    def list(self):
        start, end, institution_id, choices, data, errors = self._data()
        return self.render_template("region/movements.html", start=start, end=end, institution_id=institution_id,
                                    institutions=choices, sheets=transfers.movement_rows(data, shown_id),
                                    errors=errors)

    @expose("/export/")
    @has_access
    def export(self):
        start, end, _, _, data, _ = self._data()
        body = transfers.movements_workbook(transfers.movement_rows(data, shown_id))
        return send_workbook(body, f"人员流动_{start:%Y%m%d}-{end:%Y%m%d}.xlsx")
