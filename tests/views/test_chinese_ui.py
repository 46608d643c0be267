"""Chinese UI: every declared column has a Chinese label, and no page shows English interface text."""
import json
import re
from html.parser import HTMLParser

from flask_appbuilder import ModelView

from app.extensions import appbuilder

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_WORD = re.compile(r"\b[A-Za-z]{3,}\b")
ALLOWED_WORDS = {"QQ", "abc", "CBA", "JPG", "PNG", "PDF", "Excel"}  # names and file types; abc/CBA: password rules


class _InterfaceText(HTMLParser):
    """Visible text and button/title attributes, without table cells and options (those are data)."""

    SKIP = {"script", "style", "td", "option"}

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.depth += 1
        attrs = dict(attrs)
        for key in ("title", "placeholder", "aria-label"):
            if attrs.get(key):
                self.parts.append(attrs[key])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth and data.strip():
            self.parts.append(data.strip())


def english_in(html):
    parser = _InterfaceText()
    parser.feed(html)
    return sorted({w for part in parser.parts for w in ENGLISH_WORD.findall(part)} - ALLOWED_WORDS)


def _model_views():
    return [v for v in appbuilder.baseviews if isinstance(v, ModelView)]


def test_every_declared_column_exists_and_has_a_chinese_label():
    problems = []
    for view in _model_views():
        columns = set(view.list_columns) | set(view.show_columns) | set(view.search_columns)
        columns |= {c for c in (view.add_columns or []) + (view.edit_columns or [])
                    if c not in ("password", "conf_password")}
        for col in columns:
            if not (view.datamodel.is_relation(col) or hasattr(view.datamodel.obj, col)):
                problems.append(f"{type(view).__name__}.{col}: not on the model")
            label = str(view.label_columns.get(col, ""))
            if not CJK.search(label):
                problems.append(f"{type(view).__name__}.{col}: label {label!r} is not Chinese")
    assert problems == [], "\n".join(problems)


def test_menu_is_chinese_and_follows_the_spec_chapters():
    labels = [str(item.label) for item in appbuilder.menu.get_list()]
    assert all(CJK.search(label) for label in labels), labels
    for item in appbuilder.menu.get_list():
        for child in item.childs:
            assert CJK.search(str(child.label)), child.name
    assert {"区域管理", "系统管理"} <= set(labels)


def test_pages_show_no_english_interface_text(db, login_as, client):
    pages = ["/login/"]
    c = login_as("sysadmin01")
    for view in _model_views():
        base = view.route_base
        pages += [f"{base}/list/", f"{base}/show/1"]
        if "can_add" in view.base_permissions or "can_write" in view.base_permissions:
            pages += [f"{base}/add", f"{base}/edit/1"]
    pages += ["/", "/account/password/", "/no-such-page", "/accounts/list/", "/accounts/add", "/certreview/list/",
              "/certification/"]
    found = {}
    for path in pages:
        resp = c.get(path)
        if resp.status_code >= 500:
            found[path] = f"status {resp.status_code}"
            continue
        if resp.status_code in (301, 302):
            continue
        words = english_in(resp.get_data(as_text=True))
        if words:
            found[path] = words
    assert english_in(client.get("/login/").get_data(as_text=True)) == []
    owner = login_as("inst_admin")
    for path in ("/accounts/list/", "/accounts/add", "/roleprofileview/list/", "/roleprofileview/add"):
        words = english_in(owner.get(path).get_data(as_text=True))
        if words:
            found[path] = words
    assert found == {}


CHINESE_OPERATIONS = {"开头是", "开头不是", "结尾是", "结尾不是", "包含", "不包含", "等于", "不等于", "大于", "小于", "是",
                      "不是", "包括"}


def test_search_filter_operations_are_chinese_and_usable(app, db, login_as):
    """Every operation of every search column is named in plain Chinese (FAB's own catalogue says 以开始 and leaves
    In / Not In in English); In / Not In are not offered: the search form sends one text, which they would split
    into characters."""
    problems = []
    with app.test_request_context():
        for view in _model_views():
            for column, filters in view._filters.get_search_filters().items():
                names = [str(f.name) for f in filters]
                if not filters or set(names) - CHINESE_OPERATIONS:
                    problems.append(f"{type(view).__name__}.{column}: {names}")
    assert problems == []
    page = login_as("region_admin").get("/regioninstitutionview/list/").get_data(as_text=True)
    shown = [json.dumps(word) for word in ("开头是", "包含")]  # as the page's script has them (tojson)
    assert all(word in page for word in shown)
    assert not any(json.dumps(word) in page for word in ("以开始", "In", "Not In", "Starts with", "Relation"))


def test_fab_dropdowns_are_chinese():
    """FAB's dropdowns (select2) say "Remove all items" on their × and "Select a State" as placeholder unless told
    otherwise: app.js, read on every page before the dropdowns are built, gives them Chinese (the browser test
    tests/e2e/test_chinese_widgets.py sees the result)."""
    import os

    with open(os.path.join(os.path.dirname(appbuilder.app.root_path), "app", "static", "js", "app.js"),
              encoding="utf-8") as fh:
        script = fh.read()
    assert 'removeAllItems: function () { return "清除全部"; }' in script
    assert 'placeholder: "请选择"' in script
