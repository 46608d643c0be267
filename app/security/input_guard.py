"""Bad input answers 400 with the Chinese error page, never 500 (issue 10 item 7): a NUL character in any query or
form value, junk paging / ordering / filter arguments of FAB's list pages, FAB's download/<filename> (refused
outright: no model uses FAB's file columns). Also sends anonymous visitors of @login_required pages to our login
page (FAB points Flask-Login at an endpoint named "login", which does not exist here)."""
import re

from flask import request
from flask_appbuilder.baseviews import BaseCRUDView

NUL_MESSAGE = "请求中含有不允许的字符（空字符），请检查输入后重试。"
BAD_PARAMETER = "请求参数不正确：{}。请从页面上的链接或按钮重新进入。"
MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000
_FLT = re.compile(r"^_flt_(\d+)_(.+)$")


def _has_nul(multidict) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in multidict.lists())


def _int_problem(value, low, high):
    return not (value.isdigit() and low <= int(value) <= high)


def crud_arg_problem(view) -> str | None:
    """What is wrong with the paging, ordering and filter arguments of a FAB list page; None when all is well.
    Arguments naming another view (FAB pages can embed related lists) are checked only for their form."""
    name = view.__class__.__name__
    filters = view._filters.get_search_filters() if getattr(view, "_filters", None) is not None else {}
    for key in request.args:
        value = request.args.get(key, "")
        if key.startswith("page_") and _int_problem(value, 0, MAX_PAGE):
            return f"页码须为不大于 {MAX_PAGE} 的非负整数"
        if key.startswith("psize_") and _int_problem(value, 1, MAX_PAGE_SIZE):
            return f"每页条数须为 1–{MAX_PAGE_SIZE} 的整数"
        if key.startswith("_od_") and value not in ("asc", "desc"):
            return "排序方向须为 asc 或 desc"
        if key.startswith("_oc_"):
            if "_od_" + key[4:] not in request.args:
                return "排序缺少方向"
            if key == f"_oc_{name}" and value not in (view.order_columns or []):
                return "不能按该列排序"
        match = _FLT.match(key)
        if match:
            index, column = int(match.group(1)), match.group(2)
            if column not in filters or index >= len(filters[column]) or index > 9:
                return "查询条件不正确"
    return None


def _download_problem(filename) -> str | None:
    """FAB's download/<filename> would send any file lying in UPLOAD_FOLDER itself to any reader of the page. No
    model here has a FAB file column (uploads are served by their own routes, content-checked), so it is always
    refused (400, not a traceback for junk, not a file for a guessed name)."""
    return "没有这个文件"


def install(app, appbuilder, respond):
    """`respond(code, text)` renders the Chinese error page (HTML, or JSON under /api/)."""
    app.login_manager.login_view = f"{appbuilder.sm.auth_view.endpoint}.login"
    app.login_manager.login_message = "请先登录"
    app.login_manager.login_message_category = "warning"
    views = {}

    def view_of(blueprint):
        if not views:
            views.update({v.blueprint.name: v for v in appbuilder.baseviews if getattr(v, "blueprint", None)})
        return views.get(blueprint)

    @app.before_request
    def refuse_bad_input():
        if _has_nul(request.args) or (request.method != "GET" and _has_nul(request.form)):
            return respond(400, NUL_MESSAGE)
        page = request.args.get("page")  # our own list pages (people, wall, imports, attachments) page with it
        if page is not None and _int_problem(page, 1, MAX_PAGE):
            return respond(400, BAD_PARAMETER.format(f"页码须为 1–{MAX_PAGE} 的整数"))
        view = view_of(request.blueprint)
        if isinstance(view, BaseCRUDView):
            problem = crud_arg_problem(view)
            endpoint, args = request.endpoint or "", request.view_args or {}
            if problem is None and endpoint.endswith(".download"):
                problem = _download_problem(args.get("filename"))
            if (problem is None and endpoint.endswith(".action") and not hasattr(view, "_check_action")
                    and args.get("name") not in (view.actions or {})):
                problem = "没有这个操作"  # FAB's own action route fails on an unknown name (tenant views answer 403)
            if problem:
                return respond(400, BAD_PARAMETER.format(problem))
        return None
