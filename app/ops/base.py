"""What every /ops page shares: FAB's login and the one right 运维控制台 guard it, forms carry the site's CSRF token,
exports are CSV and .xlsx (openpyxl: tablib is not installed), nothing is deleted from the console."""
import datetime

from flask import Response, abort, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import SecureForm
from flask_admin.model import typefmt
from flask_admin.model.widgets import XEditableWidget
from flask_login import current_user
from flask_wtf.csrf import _FlaskFormCSRF
from werkzeug.utils import cached_property

from app.security import pages

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def may_operate(write: bool = False) -> bool:
    """Logged in with FAB and holding 运维控制台 (查看; 编辑 for a change): only 系统管理员 roles do."""
    from app.extensions import appbuilder

    if not getattr(current_user, "is_authenticated", False):
        return False
    sm = appbuilder.sm
    if not sm.has_access("can_read", pages.OPS.resource):
        return False
    return not write or bool(sm.has_access("can_write", pages.OPS.resource))


class OpsGuard:
    """Anonymous → FAB's login page (back here afterwards); logged in without the right → 403 (Chinese page)."""

    @property
    def extra_js(self):
        # the site's policy runs no inline handler, javascript: URL or eval: ops.js binds the 批量操作 links and the
        # list's inline edit (x-editable needs eval) and defuses Flask-Admin's javascript:void(0) links
        return [url_for("static", filename="js/ops.js")]

    @property
    def extra_css(self):
        return [url_for("static", filename="css/ops.css")]

    def is_accessible(self):
        return may_operate(write=request.method not in SAFE_METHODS)

    def is_visible(self):
        return True

    def inaccessible_callback(self, name, **kwargs):
        if not getattr(current_user, "is_authenticated", False):
            return redirect(url_for("AppAuthDBView.login", next=request.full_path.rstrip("?")))
        abort(403)


class OpsForm(SecureForm):
    """Flask-Admin's SecureForm with Flask-WTF's token: the site-wide CSRFProtect checks every POST before any view
    runs (app/__init__.py), so the console's forms must carry the same token it checks."""

    class Meta:
        csrf = True
        csrf_class = _FlaskFormCSRF
        csrf_field_name = "csrf_token"

        @cached_property
        def csrf_secret(self):
            from flask import current_app

            return current_app.config.get("WTF_CSRF_SECRET_KEY", current_app.secret_key)

        @cached_property
        def csrf_time_limit(self):
            from flask import current_app

            return current_app.config.get("WTF_CSRF_TIME_LIMIT", 3600)


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float, datetime.date, datetime.datetime)):
        return value
    return str(value)


def record_key(value):
    try:
        key = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return key if -2**31 <= key < 2**31 else None


class InlineEditWidget(XEditableWidget):
    """Flask-Admin's x-editable cell, marked for ops.js instead (x-editable evaluates strings: the policy blocks it).
    The cell still posts to Flask-Admin's ajax/update with the row's CSRF token."""

    def get_kwargs(self, field, kwargs):
        kwargs = super().get_kwargs(field, kwargs)
        kwargs["data-ops-type"] = {"BooleanField": "boolean", "IntegerField": "number"}.get(field.type, "text")
        kwargs["data-role"] = "ops-inline"
        kwargs["title"] = "点击修改"
        return kwargs


class OpsModelView(OpsGuard, ModelView):
    """A console list: Chinese labels, CSV / Excel export of the filtered rows, no delete."""

    form_base_class = OpsForm
    can_delete = False
    can_export = True
    export_types = ["csv", "xlsx"]
    export_max_rows = 100_000
    page_size = 50
    list_template = "ops/list.html"  # Flask-Admin's list without inline handlers (the site's CSP)
    column_type_formatters = {**typefmt.BASE_FORMATTERS, datetime.datetime: lambda view, value, name:
                              f"{value:%Y-%m-%d %H:%M:%S}"}
    column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, datetime.datetime: lambda view, value, name:
                                     f"{value:%Y-%m-%d %H:%M:%S}"}

    def handle_view_exception(self, exc):
        """A unique constraint the form could not check: a Chinese sentence, never the SQL."""
        from flask import flash
        from sqlalchemy.exc import IntegrityError

        if isinstance(exc, IntegrityError):
            flash("未保存：与已有记录重复（如同一字典类型下的代码不能重复），请修改后重新提交。", "error")
            return True
        return super().handle_view_exception(exc)

    def get_one(self, id):
        """None (Flask-Admin: 记录不存在) for an id that is not a whole number of the column's range: every console
        model has an integer key, and PostgreSQL refuses the comparison otherwise (a 500)."""
        key = record_key(id)
        return None if key is None else super().get_one(str(key))

    def get_list_form(self):
        return self.scaffold_list_form(widget=InlineEditWidget())

    def get_export_name(self, export_type="csv"):
        return f"{self.name}_{datetime.date.today():%Y%m%d}.{export_type}"

    def _export_csv(self, return_url):
        response = super()._export_csv(return_url)
        # UTF-8 with a BOM: Excel opens the Chinese text correctly
        body = "\ufeff" + "".join(response.response)
        return Response(body.encode("utf-8"), headers=self._disposition("csv"), mimetype="text/csv")

    def _export_tablib(self, export_type, return_url):
        if export_type != "xlsx":
            abort(404)
        from app.services.workbooks import sheets_workbook

        _count, data = self._export_data()
        headers = [str(c[1]) for c in self._export_columns]
        rows = [[_cell(self.get_export_value(row, c[0])) for c in self._export_columns] for row in data]
        body = sheets_workbook({str(self.name): (headers, rows)})
        return Response(body, headers=self._disposition("xlsx"),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    def _disposition(self, export_type):
        from urllib.parse import quote

        name = self.get_export_name(export_type)
        return {"Content-Disposition": f"attachment; filename=ops.{export_type}; filename*=UTF-8''{quote(name)}"}


class OpsIndexView(OpsGuard, AdminIndexView):
    pass


class OpsPage(OpsGuard, BaseView):
    pass
