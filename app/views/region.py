"""区域管理: pages of regional accounts over the institutions of their region subtree."""
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.models.org import Institution
from app.security.tenancy import TenantModelView


class RegionInstitutionView(TenantModelView):
    """辖区机构: read-only list and detail of the institutions in the caller's region subtree."""

    datamodel = SQLAInterface(Institution)
    tenant_column = "id"
    class_permission_name = "辖区机构"
    base_permissions = ["can_read", "can_write"]
    list_title = show_title = "辖区机构"
    list_columns = ["name", "code", "region", "kind", "is_large_public", "internet_access"]
    show_columns = list_columns
    search_columns = ["name", "code", "region", "kind", "is_large_public", "internet_access"]
    search_form_query_rel_fields = {}
    label_columns = {
        "name": "机构名称", "code": "统一社会信用代码", "region": "所属区域", "kind": "机构类别",
        "is_large_public": "大型公立医疗机构", "internet_access": "允许互联网访问",
    }
    base_order = ("code", "asc")
