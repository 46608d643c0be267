"""How values read in lists and detail pages: 是/否 for booleans, blank for empty, dates without microseconds."""
import datetime

from markupsafe import Markup, escape


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


def changes_table(changes):
    """An audit row's changes as a small table: 字段 / 原值 / 新值."""
    if not changes:
        return ""
    rows = "".join(
        f"<tr><td>{escape(k)}</td><td>{escape(_plain(v[0]))}</td><td>{escape(_plain(v[1]))}</td></tr>"
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
