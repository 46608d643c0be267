"""Chinese UI: every declared column has a Chinese label, and no page shows English interface text."""
import re
from html.parser import HTMLParser

from flask_appbuilder import ModelView

from app.extensions import appbuilder

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_WORD = re.compile(r"\b[A-Za-z]{3,}\b")
ALLOWED_WORDS = {"QQ", "abc", "CBA", "JPG", "PNG", "PDF"}  # names and file types; abc/CBA: password rules


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
