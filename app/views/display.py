"""How values read in lists and detail pages: 是/否 for booleans, blank for empty, dates without microseconds; an
audit row's changes as a table (sensitive values masked by security/masking.py)."""
import datetime

from markupsafe import Markup, escape

from app.security.masking import masked_changes


def _plain(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (list, tuple, set)):
        return "、".join(str(v) for v in value)
    return value


def changes_table(changes, name_of=None, value_of=None):
    """An audit row's changes as a small table: 字段 / 原值 / 新值 (sensitive values masked, see masked_changes).
    `name_of(column)` gives a column's Chinese name; `value_of(column, value)` may rename a value (after masking)."""
    if not changes:
        return ""
    changes = masked_changes(changes)
    name_of = name_of or (lambda k: k)
    value_of = value_of or (lambda k, v: v)
    rows = "".join(
        f"<tr><td>{escape(name_of(k))}</td><td>{escape(_plain(value_of(k, v[0])))}</td>"
        f"<td>{escape(_plain(value_of(k, v[1])))}</td></tr>"
        for k, v in changes.items()
    )
    return Markup(f'<table class="table table-condensed"><tr><th>字段</th><th>原值</th><th>新值</th></tr>{rows}</table>')


class DisplayMixin:
    """Adds a Chinese-friendly formatter to every shown column that has none of its own."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        columns = set(self.list_columns or []) | set(self.show_columns or [])
        for fieldset in self.show_fieldsets or []:
            columns.update(fieldset[1].get("fields", []))
        formatters = dict(self.formatters_columns or {})
        for col in columns:
            formatters.setdefault(col, _plain)
        self.formatters_columns = formatters
