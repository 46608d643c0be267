"""Reading the audit trail (issue 17): each entry's changes as field, old → new in Chinese with sensitive values
masked for viewers without 查看完整证件号, a filtered range as a workbook, and the retention archive (rows older
than six months written to a gzip JSON-lines file, then deleted in the same transaction). Nothing here edits a row."""
import datetime
import gzip
import json
import os

from sqlalchemy import delete, func, select

from app.domain.errors import DomainError
from app.extensions import db
from app.models.audit import AuditLog
from app.services.audit import ACTION_LABELS
from app.services.audit_labels import ENTITY_LABELS, entity_label, field_label
from app.services.transaction import transaction

KEEP_MONTHS = 6  # 等保 2.0 三级: audit records kept at least six months


def _plain(value):
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def change_lines(entity: str, changes: dict | None, full: bool | None = None) -> list[tuple[str, str, str]]:
    """(字段, 原值, 新值) of one entry, fields by their Chinese names, 证件号码 / phones masked unless `full`
    (None: as the current user may see them, security.masking)."""
    from app.security.masking import masked_changes

    if not changes:
        return []
    shown = masked_changes(changes, full)
    lines = []
    for column, pair in shown.items():
        old, new = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        if entity == "institution_field_history" and column == "field":
            old, new = (field_label("institution", v) or v if isinstance(v, str) else v for v in (old, new))
        lines.append((field_label(entity, column) or column, _plain(old), _plain(new)))
    return lines


def change_text(entity: str, changes: dict | None, full: bool | None = None) -> str:
    """One line per field: "名称：旧 → 新" (exports, the list's 变更内容 column)."""
    return "\n".join(f"{name}：{old} → {new}" for name, old, new in change_lines(entity, changes, full))


def entity_choices() -> list[tuple[str, str]]:
    """(table, 中文名) of every audited entity, for a filter's dropdown."""
    entity_label("")  # fills the detail sets' names
    return sorted(((table, label) for table, label in ENTITY_LABELS.items()), key=lambda p: p[1])


def action_choices() -> list[tuple[str, str]]:
    return list(ACTION_LABELS.items())


EXPORT_HEADERS = ["时间", "操作人", "来源地址", "机构编号", "操作", "数据类别", "记录编号", "变更内容"]


def export_row(entry: AuditLog, full: bool | None = None) -> list:
    return [entry.at, entry.username or "", entry.client_addr or "", entry.institution_id,
            ACTION_LABELS.get(entry.action, entry.action), entity_label(entry.entity), entry.entity_id or "",
            change_text(entry.entity, entry.changes, full)]


# --- retention -------------------------------------------------------------------------------------------------

def earliest_allowed_cutoff(today: datetime.date | None = None) -> datetime.date:
    """The newest `--before` date the archive accepts: today six months ago (rows newer than that are kept)."""
    today = today or datetime.date.today()
    month = today.month - KEEP_MONTHS
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for day in (today.day, 30, 29, 28):
        try:
            return datetime.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def archive(before: datetime.date, folder: str, today: datetime.date | None = None) -> tuple[int, str]:
    """Audit rows older than `before` (strictly) → `folder`/audit_before_<date>_<now>.jsonl.gz, then deleted; both in
    one transaction: a failure while writing deletes nothing, and the file is complete before any row is deleted.
    Refuses a date within the last six months. Returns (rows archived, file path)."""
    limit = earliest_allowed_cutoff(today)
    if before > limit:
        raise DomainError(f"审计日志至少保留 6 个月：--before 不能晚于 {limit:%Y-%m-%d}（收到 {before:%Y-%m-%d}）")
    cutoff = datetime.datetime.combine(before, datetime.time())
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"audit_before_{before:%Y%m%d}_{datetime.datetime.now():%Y%m%d%H%M%S}.jsonl.gz")
    count = 0
    with transaction():
        max_id = db.session.scalar(select(func.max(AuditLog.id)).where(AuditLog.at < cutoff))
        if max_id is None:
            return 0, ""
        stmt = (select(AuditLog.__table__).where(AuditLog.at < cutoff, AuditLog.id <= max_id)
                .order_by(AuditLog.id).execution_options(yield_per=2000))
        tmp = path + ".part"
        try:
            with open(tmp, "wb") as raw:
                with gzip.GzipFile(fileobj=raw, mode="wb") as out:
                    for row in db.session.execute(stmt).mappings():
                        record = dict(row)
                        record["at"] = record["at"].isoformat(sep=" ")
                        out.write((json.dumps(record, ensure_ascii=False, default=str) + "\n").encode("utf-8"))
                        count += 1
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)  # no half-written archive is left to be mistaken for a complete one
            raise
        deleted = db.session.execute(delete(AuditLog).where(AuditLog.at < cutoff, AuditLog.id <= max_id)).rowcount
        if deleted != count:
            raise RuntimeError(f"archived {count} rows but {deleted} matched the delete")
    return count, path
