"""车辆档案管理 (5.2(1)) and 应急医疗设备档案管理 (5.4(1)): plain FAB ModelViews over the institution's registers,
scoped by TenantModelView (institution_id from the caller, other institutions' rows 404), versioned edit forms,
the manual's searches (车辆类型 + 使用状态, 设备类型 + 使用状况), and the rules of services/emergency_registers.py
checked in pre_add / pre_update: FAB shows the Chinese refusal and the form again with what was typed."""
import datetime

from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterNotEqual
from flask_appbuilder.urltools import get_filter_args
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.domain.errors import DomainError
from app.domain.vehicle import plate_problems, vin_problems
from app.models.emergency_registers import EQUIPMENT_TYPES, USE_STATUSES, VEHICLE_TYPES, Equipment, Vehicle
from app.security import pages
from app.security.filters import AppInterface, FormFilterConverter
from app.security.tenancy import VIEW_METHOD_PERMISSIONS, TenantModelView
from app.services import emergency_registers as svc
from app.services.workbooks import sheets_workbook
from app.views.concurrency import VersionedEditMixin
from app.views.files import send_workbook


class _ChoiceFilterConverter(FormFilterConverter):
    """A column searched with a dropdown of its fixed values offers 等于 / 不等于, not 开头是 … of free text."""

    def convert(self, col_name):
        if col_name in self.datamodel.choice_columns:
            return [FilterEqual(col_name, self.datamodel), FilterNotEqual(col_name, self.datamodel)]
        return super().convert(col_name)


class _RegisterInterface(AppInterface):
    filter_converter_class = _ChoiceFilterConverter

    def __init__(self, obj, choice_columns=(), **kwargs):  # FAB builds related interfaces with (model) only
        self.choice_columns = choice_columns
        super().__init__(obj, **kwargs)


def _choices(values, blank=None):
    return ([("", blank)] if blank else []) + [(v, v) for v in values]


def _status_badge(value):
    from markupsafe import Markup, escape

    css = {"在用": "success", "备用": "info", "维修": "warning", "停用": "default", "报废": "danger"}.get(value, "default")
    return Markup(f'<span class="label label-{css}">{escape(value or "")}</span>')


def _common_fields(status_label):
    """The form fields both registers share (购置日期, 使用状态/状况, 备注)."""
    return {"purchase_date": DateField("购置日期", validators=[Optional()]),
            "status": SelectField(status_label, choices=_choices(USE_STATUSES), default="在用"),
            "note": TextAreaField("备注", validators=[Optional(), Length(max=500)])}


def _cell(value):
    """A register value as a workbook cell: dates as dates, related rows by their name."""
    if value is None or isinstance(value, (int, float, str, datetime.date)):
        return value
    return str(value)


def _rule(check):
    """A form validator from a domain check: its messages under the input, the form shown again as typed."""

    def validate(form, field):
        problems = check(field.data)
        if problems:
            raise ValidationError("；".join(problems))

    return validate


class _RegisterView(VersionedEditMixin, TenantModelView):
    """The shared part: the service's check in pre_add / pre_update (again, and what needs the database: 车牌号码
    unique in the institution), refused with its Chinese message (FAB flashes it and goes back)."""

    problems = None  # the service's check of one row
    page_size = 20
    list_template = "emergency/register_list.html"  # FAB's list with an 导出 Excel button
    show_template = "emergency/register_show.html"  # FAB's show with the record's 修改记录
    method_permission_name = {**VIEW_METHOD_PERMISSIONS, "export": "read"}

    @expose("/export/")
    @has_access
    def export(self):
        """导出 Excel of the list as searched (the same filters, scoped like the list; every page)."""
        get_filter_args(self._filters)
        filters = self._filters.get_joined_filters(self._base_filters)
        _, rows = self.datamodel.query(filters, *self.base_order)
        cells = [[_cell(getattr(row, c)) for c in self.show_columns] for row in rows]
        headers = [self.label_columns[c] for c in self.show_columns]
        return send_workbook(sheets_workbook({self.list_title: (headers, cells)}, width=16),
                             f"{self.list_title}_{datetime.date.today():%Y%m%d}.xlsx")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.extra_args = {**(self.extra_args or {}), "history_entity": self.datamodel.obj.__tablename__}

    def _check(self, item):
        problems = type(self).problems(item)
        if problems:
            raise DomainError("；".join(problems))

    def pre_add(self, item):
        super().pre_add(item)
        self._check(item)

    def pre_update(self, item):
        super().pre_update(item)
        self._check(item)


class VehicleView(_RegisterView):
    """车辆档案管理: 车牌号码 (ordinary or new-energy, unique in the institution), 车辆识别代号 optional."""

    datamodel = _RegisterInterface(Vehicle, ("vehicle_type", "status"))
    route_base = "/emergency/vehicles"
    class_permission_name = pages.VEHICLES.resource
    base_permissions = pages.VEHICLES.permissions
    problems = staticmethod(svc.vehicle_problems)
    list_title = show_title = pages.VEHICLES.label
    add_title, edit_title = "新增车辆", "修改车辆"
    list_columns = ["plate_no", "vehicle_type", "brand_model", "status", "department", "purchase_date"]
    show_columns = ["plate_no", "vehicle_type", "brand_model", "vin", "purchase_date", "status", "department", "note"]
    add_columns = show_columns
    edit_columns = show_columns
    search_columns = ["vehicle_type", "status", "plate_no"]
    label_columns = {k: v for k, v in svc.VEHICLE_LABELS.items() if k != "department_id"}
    description_columns = {"plate_no": "如 鄂A12345；新能源车牌 8 位，如 鄂AD12345",
                           "vin": "选填；17 位，不含字母 I、O、Q，第 9 位为校验位"}
    formatters_columns = {"status": _status_badge}
    base_order = ("plate_no", "asc")
    _fields = {
        "plate_no": StringField("车牌号码", validators=[DataRequired("请填写车牌号码"), _rule(plate_problems)]),
        "vehicle_type": SelectField("车辆类型", choices=_choices(VEHICLE_TYPES, "（请选择）"),
                                    validators=[DataRequired("请选择车辆类型")]),
        "vin": StringField("车辆识别代号", validators=[Optional(), _rule(vin_problems)]),
        **_common_fields("使用状态"),
    }
    add_form_extra_fields = edit_form_extra_fields = _fields
    search_form_extra_fields = {
        "vehicle_type": SelectField("车辆类型", choices=_choices(VEHICLE_TYPES)),
        "status": SelectField("使用状态", choices=_choices(USE_STATUSES)),
    }


class EquipmentView(_RegisterView):
    """应急医疗设备档案管理: 设备名称, 设备类型, 数量 (≥ 1) and 使用状况 (状况, as the manual names it)."""

    datamodel = _RegisterInterface(Equipment, ("equipment_type", "status"))
    route_base = "/emergency/equipment"
    class_permission_name = pages.EQUIPMENT.resource
    base_permissions = pages.EQUIPMENT.permissions
    problems = staticmethod(svc.equipment_problems)
    list_title = show_title = pages.EQUIPMENT.label
    add_title, edit_title = "新增应急医疗设备", "修改应急医疗设备"
    list_columns = ["name", "equipment_type", "brand", "model_spec", "quantity", "status", "department"]
    show_columns = ["name", "equipment_type", "brand", "model_spec", "quantity", "purchase_date", "department",
                    "status", "note"]
    add_columns = show_columns
    edit_columns = show_columns
    search_columns = ["equipment_type", "status", "name"]
    label_columns = {k: v for k, v in svc.EQUIPMENT_LABELS.items() if k != "department_id"}
    formatters_columns = {"status": _status_badge}
    base_order = ("name", "asc")
    _fields = {
        "name": StringField("设备名称", validators=[DataRequired("请填写设备名称"), Length(max=100)]),
        "equipment_type": SelectField("设备类型", choices=_choices(EQUIPMENT_TYPES, "（请选择）"),
                                      validators=[DataRequired("请选择设备类型")]),
        "quantity": IntegerField("数量", default=1,
                                 validators=[InputRequired("请填写数量"), NumberRange(min=1, message="数量应为大于 0 的整数")]),
        **_common_fields("使用状况"),
    }
    add_form_extra_fields = edit_form_extra_fields = _fields
    search_form_extra_fields = {
        "equipment_type": SelectField("设备类型", choices=_choices(EQUIPMENT_TYPES)),
        "status": SelectField("使用状况", choices=_choices(USE_STATUSES)),
    }
