"""系统管理: audit trail, dictionaries, regions."""
from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.models.audit import AuditLog
from app.models.dictionary import DictItem
from app.models.org import Region
from app.security.display import DisplayMixin, changes_table
from app.security.tenancy import VIEW_METHOD_PERMISSIONS, SafeRoutesMixin, TenantModelView
from app.services.audit import ACTION_LABELS, ENTITY_LABELS
from app.services.dictionaries import TYPE_LABELS
from app.views.concurrency import VersionedEditMixin


class AuditLogView(TenantModelView):
    """操作日志: who changed what; an institution sees its own rows, a region its subtree, operators all."""

    datamodel = SQLAInterface(AuditLog)
    class_permission_name = "操作日志"
    base_permissions = ["can_read"]
    list_title = show_title = "操作日志"
    list_columns = ["at", "username", "client_addr", "action", "entity", "entity_id"]
    show_columns = ["at", "username", "client_addr", "action", "entity", "entity_id", "changes"]
    search_columns = ["at", "username", "client_addr", "action", "entity", "entity_id"]
    label_columns = {
        "at": "时间", "username": "操作人", "client_addr": "来源地址", "action": "操作", "entity": "数据表",
        "entity_id": "记录编号", "changes": "变更内容", "institution_id": "机构编号", "user_id": "操作人编号",
    }
    base_order = ("id", "desc")
    formatters_columns = {
        "action": lambda v: ACTION_LABELS.get(v, v),
        "entity": lambda v: ENTITY_LABELS.get(v, v),
        "changes": changes_table,
    }


class DictItemView(SafeRoutesMixin, VersionedEditMixin, DisplayMixin, ModelView):
    """数据字典 (operators): names, order and 停用 of code values; codes are national and fixed."""

    datamodel = SQLAInterface(DictItem)
    class_permission_name = "数据字典"
    method_permission_name = VIEW_METHOD_PERMISSIONS
    base_permissions = ["can_read", "can_write"]
    list_title = show_title = "数据字典"
    edit_title = "修改字典项"
    add_title = "新增字典项"
    list_columns = ["type", "code", "name", "order", "active"]
    show_columns = ["type", "code", "name", "order", "active", "extra"]
    add_columns = ["type", "code", "name", "order", "active"]
    edit_columns = ["name", "order", "active"]
    search_columns = ["type", "code", "name", "active"]
    label_columns = {"type": "字典类型", "code": "代码", "name": "名称", "order": "序号", "active": "启用",
                     "extra": "附加信息"}
    base_order = ("type", "asc")
    page_size = 50
    formatters_columns = {"type": lambda v: f"{TYPE_LABELS.get(v, v)}（{v}）"}


class RegionView(SafeRoutesMixin, DisplayMixin, ModelView):
    """行政区划 (operators): the GB/T 2260 tree."""

    datamodel = SQLAInterface(Region)
    class_permission_name = "行政区划"
    method_permission_name = VIEW_METHOD_PERMISSIONS
    base_permissions = ["can_read"]
    list_title = show_title = "行政区划"
    list_columns = ["code", "name", "level", "parent"]
    show_columns = list_columns
    search_columns = ["code", "name", "level"]
    label_columns = {"code": "区划代码", "name": "名称", "level": "级别（1 省 2 市 3 区县）", "parent": "上级",
                     "children": "下级", "path": "路径", "version": "版本号"}
    base_order = ("code", "asc")
