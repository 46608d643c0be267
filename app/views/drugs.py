"""药品字典 (spec 5.3): the operators' dictionary page, and the type-ahead a drug report row uses (JSON, GET only)."""
from flask import abort, jsonify, request
from flask_appbuilder import BaseView, ModelView, expose
from flask_login import login_required
from wtforms.validators import DataRequired, Length

from app.models.emergency_drugs import DrugItem
from app.security import pages
from app.security.filters import AppInterface
from app.security.tenancy import VIEW_METHOD_PERMISSIONS, SafeRoutesMixin
from app.services import drugs
from app.views.concurrency import VersionedEditMixin
from app.views.display import DisplayMixin

LABELS = {"code": "药品编码", "name": "通用名", "abbreviation": "拼音缩写", "dosage_form": "剂型", "spec": "规格",
          "unit": "单位", "category": "药品分类", "active": "启用"}
SEARCH_LIMIT = 20
# Who may use the type-ahead: whoever reads the dictionary, or reads or fills in 机构药品上报 (the report's rows need
# it; the dictionary page itself is the operators'), or fills in a 药械 page (its 药品 rows, spec 5.6).
SEARCH_RIGHTS = (("can_read", pages.DRUG_DICTIONARY.resource), ("can_read", pages.DRUG_REPORTS.resource),
                 ("can_write", pages.DRUG_REPORTS.resource),
                 *(("can_write", page.resource) for (resource, _), page in pages.SUPPLY_PAGES.items()
                   if resource == "drugdevice"))


class DrugItemView(SafeRoutesMixin, VersionedEditMixin, DisplayMixin, ModelView):
    """药品字典 (operators): 新增 / 修改 / 停用 drugs; 拼音缩写 is generated from 通用名 on every save."""

    datamodel = AppInterface(DrugItem)
    class_permission_name = pages.DRUG_DICTIONARY.resource
    method_permission_name = VIEW_METHOD_PERMISSIONS
    base_permissions = pages.DRUG_DICTIONARY.permissions
    list_title = show_title = pages.DRUG_DICTIONARY.label
    add_title = "新增药品"
    edit_title = "修改药品"
    list_columns = ["code", "name", "abbreviation", "dosage_form", "spec", "unit", "category", "active"]
    show_columns = list_columns
    add_columns = ["code", "name", "dosage_form", "spec", "unit", "category", "active"]
    edit_columns = ["name", "dosage_form", "spec", "unit", "category", "active"]
    search_columns = ["code", "name", "abbreviation", "dosage_form", "category", "active"]
    label_columns = LABELS
    description_columns = {"name": "保存时按通用名自动生成拼音缩写"}
    validators_columns = {"code": [DataRequired("请填写药品编码"), Length(max=20)],
                          "name": [DataRequired("请填写通用名"), Length(max=100)],
                          "dosage_form": [DataRequired("请填写剂型"), Length(max=30)],
                          "unit": [DataRequired("请填写单位"), Length(max=10)]}
    base_order = ("code", "asc")
    page_size = 50

    def pre_add(self, item):
        item.abbreviation = drugs.abbreviation(item.name)
        super().pre_add(item)

    def pre_update(self, item):
        super().pre_update(item)  # the version check first (VersionedEditMixin)
        item.abbreviation = drugs.abbreviation(item.name)


class DrugSearchView(BaseView):
    """The type-ahead: GET /drugs/search/?q=amxl → {"items": [{id, code, name, dosage_form, spec, unit}],
    "message"}. Reads only; open to any of SEARCH_RIGHTS (403 otherwise)."""

    route_base = "/drugs"
    class_permission_name = pages.DRUG_DICTIONARY.resource
    method_permission_name = {"search": "read"}
    base_permissions = ["can_read"]

    @expose("/search/")
    @login_required
    def search(self):
        if not any(self.appbuilder.sm.has_access(right, resource) for right, resource in SEARCH_RIGHTS):
            abort(403)
        found = drugs.search(request.args.get("q", ""), SEARCH_LIMIT)
        return jsonify(items=[drugs.as_json(d) for d in found], message="" if found else drugs.NO_HIT)
