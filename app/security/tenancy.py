"""Tenant scoping for FAB views and APIs: one base class, so no view can forget it (fab-notes "Tenancy")."""
from flask import abort, g, request
from flask_appbuilder import ModelView, expose
from flask_appbuilder.api import ModelRestApi
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import has_access

from app.domain.errors import DomainError
from app.services.scope import scope_of
from app.views.display import DisplayMixin

# FAB's per-method permissions collapsed to 查看 (read) and 编辑 (write) per resource (style.md, Superset).
VIEW_METHOD_PERMISSIONS = {
    "list": "read", "show": "read", "download": "read", "api_read": "read", "api_get": "read",
    "api_column_add": "read", "api_column_edit": "read", "api_readvalues": "read",
    "add": "write", "edit": "write", "delete": "write", "action": "write", "action_post": "write",
    "api_create": "write", "api_update": "write", "api_delete": "write",
}
API_METHOD_PERMISSIONS = {
    "get": "read", "get_list": "read", "info": "read", "post": "write", "put": "write", "delete": "write",
}


class ScopedFilter(BaseFilter):
    """Limits a query to the caller's scope (institution, region subtree or all). The value is ignored."""

    name = "权限范围"

    def apply(self, query, value):
        clause = scope_of(g.user).institutions_clause(getattr(self.model, self.column_name))
        return query if clause is None else query.filter(clause)


def _scoped_rel_fields(datamodel, columns):
    """Dropdowns of related institution-owned rows show only the caller's rows."""
    fields = {}
    for col in columns:
        if datamodel.is_relation(col):
            rel_model = datamodel.get_related_model(col)
            if hasattr(rel_model, "institution_id"):
                fields[col] = [["institution_id", ScopedFilter, None]]
    return fields


class TenantMixin:
    tenant_column = "institution_id"

    def _install_scope(self):
        self.base_filters = [[self.tenant_column, ScopedFilter, None]] + list(self.base_filters or [])

    def _force_tenant(self, item):
        """institution_id comes from the caller, never from the form; related rows must be in scope."""
        scope = scope_of(g.user)
        if self.tenant_column == "institution_id" and scope.kind != "all":
            if scope.kind != "institution":
                raise DomainError("只有机构账号可以录入本机构数据")
            item.institution_id = scope.institution_id
        for col in self.datamodel.get_columns_list():
            if self.datamodel.is_relation_many_to_one(col):
                owner = getattr(getattr(item, col, None), "institution_id", None)
                if owner is not None and not scope.allows_institution(owner):
                    raise DomainError("所选数据不属于本机构")


class SafeRoutesMixin:
    """For every FAB ModelView. FAB's generated delete and single-row action also answer GET (a link, an <img src>,
    a prefetch could delete). Here they are POST only (GET/HEAD → 405); the CSRF token is checked by CSRFProtect
    (app.extensions.csrf). FAB's list and show pages already send them as a POST form with the token after a Chinese confirm."""

    @expose("/delete/<pk>", methods=["POST"])
    @has_access
    def delete(self, pk):
        return super().delete(pk)

    @expose("/action/<string:name>/<pk>", methods=["POST"])
    def action(self, name, pk):
        return super().action(name, pk)

    @expose("/download/<string:filename>")
    @has_access
    def download(self, filename):
        """FAB serves any file at the top of UPLOAD_FOLDER here, unscoped (and a 500 for a missing one).
        No model of this system uses FAB's file columns: uploads have their own scoped routes."""
        abort(404)


class TenantViewMixin(SafeRoutesMixin, DisplayMixin, TenantMixin):
    """Scoping for a FAB ModelView: list/show/edit/delete through base filters, and FAB's actions, which
    FAB itself does not scope (fab-notes): no permission → 403, a key outside the scope → 404."""

    def __init__(self, **kwargs):
        self._install_scope()
        declared = {name: getattr(type(self), name, None) for name in ("add_form", "edit_form", "search_form")}
        super().__init__(**kwargs)  # FAB settles the columns here, and builds its forms with them
        for attr, columns in (("add_form_query_rel_fields", self.add_columns),
                              ("edit_form_query_rel_fields", self.edit_columns),
                              ("search_form_query_rel_fields", self.search_columns)):
            setattr(self, attr, {**_scoped_rel_fields(self.datamodel, columns), **(getattr(self, attr) or {})})
        # the forms FAB built before the dropdowns were scoped are built again with them (a view's own form stays)
        for name, form in declared.items():
            if form is None:
                setattr(self, name, None)
        self._init_forms()

    def _in_scope(self, pk):
        return self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters) is not None

    def _check_action(self, name, pks):
        if name not in self.actions or not self.appbuilder.sm.has_access(
                self.get_action_permission_name(name), self.class_permission_name):
            abort(403)
        if not all(self._in_scope(pk) for pk in pks):
            abort(404)

    @expose("/action/<string:name>/<pk>", methods=["POST"])
    def action(self, name, pk):
        self._check_action(name, [pk])
        return super().action(name, pk)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        self._check_action(request.form.get("action", ""), request.form.getlist("rowid"))
        return super().action_post()

    def pre_add(self, item):
        self._force_tenant(item)
        super().pre_add(item)

    def pre_update(self, item):
        self._force_tenant(item)
        super().pre_update(item)


class TenantModelView(TenantViewMixin, ModelView):
    """Base of every view over institution-owned rows."""

    method_permission_name = VIEW_METHOD_PERMISSIONS


class TenantModelRestApi(TenantMixin, ModelRestApi):
    """Base of every REST API over institution-owned rows."""

    method_permission_name = API_METHOD_PERMISSIONS

    def __init__(self):
        self._install_scope()
        super().__init__()

    def pre_add(self, item):
        self._force_tenant(item)

    def pre_update(self, item):
        self._force_tenant(item)
