"""Who sees a 证件号码 or a phone number in full (the one masking rule of pages, exports and the audit log); how values
read on pages is views/display.py."""
from flask import g, has_request_context

from app.domain.person import mask_id
from app.domain.phone import mask_phone
from app.security import pages

# The one right that shows a 证件号码 in full, wherever it appears (pages, exports, the audit log).
FULL_ID_RIGHT = ("can_fullid", pages.PEOPLE.resource)


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
