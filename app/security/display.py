"""How values read in lists and detail pages: 是/否 for booleans, blank for empty, dates without microseconds."""
import datetime

from flask import g, has_request_context
from markupsafe import Markup, escape

from app.domain.person import mask_id
from app.domain.phone import mask_phone

# The one right that shows a 证件号码 in full, wherever it appears (pages, exports, the audit log).
FULL_ID_RIGHT = ("can_fullid", "人员信息管理")


def sees_full_id() -> bool:
    """Whether the current user may see full 证件号码: holds 查看完整证件号 on 人员信息管理. Asked once per request."""
    if not has_request_context():
        return True  # the CLI and background jobs work on the institution's own data
    if "_sees_full_id" not in g:
        from app.extensions import appbuilder

        g._sees_full_id = bool(appbuilder.sm.has_access(*FULL_ID_RIGHT))
    return g._sees_full_id


def shown_id(number, full=None) -> str:
    """A 证件号码 as the current user may see it: in full with the right, else 4201**********0159.
    Every page, export and the audit log show numbers through this function."""
    if full is None:
        full = sees_full_id()
    return (number or "") if full else mask_id(number)


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


# Columns of the audited models holding a 证件号码 or a phone number (person, accounts, 实名认证, institutions,
# branches, departments); the audit log masks them like every other page.
ID_FIELDS = {"id_number"}
PHONE_FIELDS = {"phone", "mobile", "head_phone"}


def _mask_field(key, value):
    """A value of field `key` with 证件号码 and phone numbers masked, looking inside nested changes
    ({field: [old, new]} of a change request)."""
    if isinstance(value, dict):
        return {k: _mask_field(k, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask_field(key, v) for v in value]
    if value is None or value == "":
        return value
    if key in ID_FIELDS:
        return mask_id(str(value))
    if key in PHONE_FIELDS:
        return mask_phone(str(value))
    return value


def masked_changes(changes: dict, full=None) -> dict:
    """An audit row's changes as the current user may see them: 证件号码 and phones masked without 查看完整证件号."""
    if full is None:
        full = sees_full_id()
    if full or not changes:
        return changes
    masked = {k: _mask_field(k, v) for k, v in changes.items()}
    # institution_field_history: {"field": [.., "phone"], "old_value": [..], "new_value": [..]}
    named = [f for f in (changes.get("field") or []) if f in ID_FIELDS | PHONE_FIELDS]
    for value_key in ("old_value", "new_value"):
        if named and value_key in masked:
            masked[value_key] = _mask_field(named[0], masked[value_key])
    return masked


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
