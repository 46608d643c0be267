"""Running an import (spec 4.2.2, 4.2.4): file checks → row checks (every error of every row) → writes in batches.

Each batch (BATCH_SIZE rows by default) is checked against what is prefetched for it (the records with the batch's ID
numbers anywhere in the province, the persons' entries of the set) and written in one transaction: updates through
the ORM (the audit listener records the changed fields), creates as one multi-row INSERT with their audit-log rows
written alongside in the listener's format (`_insert`: the ORM unit of work and the listener cost more than the
rest of the import together). Rows end as created, updated, unchanged, skipped (exists and "update existing" is
off) or failed; valid rows are saved whatever happens to the others. If a batch's commit fails (someone saved the
same ID number meanwhile), the batch is retried row by row so only the offending rows fail. Batches already
committed stay if a later one raises (a database outage): re-running the file skips or updates them.

The same function serves the web pages, the background jobs and `flask people import`.
"""
from __future__ import annotations

import contextlib
import datetime
import gc
import itertools
import json
import threading
import time
from dataclasses import asdict, dataclass, field
from itertools import islice

from flask import current_app, has_app_context
from sqlalchemy import JSON, Boolean, Date, DateTime, insert
from sqlalchemy.exc import IntegrityError

from app.domain.errors import DomainError
from app.extensions import db
from app.models.audit import AuditLog
from app.services import audit, posts
from app.services.imports import report as report_module
from app.services.imports.reader import ImportRefused, Limits, no_data, open_sheet
from app.services.imports.rows import BASIC, SETS, SKIPPED_MESSAGE, Catalogue, RowChecker

__all__ = ["SETS", "ImportRefused", "ImportResult", "run_import"]
PREVIEW = 50
# Rows per transaction: fewer commits (about 15 ms each on SQLite) and prefetch queries with bigger batches; 5,000
# took 100,000 rows 7 % faster than 1,000 (bench/imports.py), and a batch stays small in memory (about 10 MB).
BATCH_SIZE = 5000
COUNTED = ("created", "updated", "unchanged", "skipped", "failed")
_ACTION_COUNTER = {"create": "created", "update": "updated", "unchanged": "unchanged", "skip": "skipped",
                   "fail": "failed"}


@dataclass
class ImportResult:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    warnings: int = 0
    seconds: float = 0.0
    report: bytes | None = None  # the error workbook when rows failed
    errors_preview: list[str] = field(default_factory=list)  # "第 5 行：…" for the first failed rows
    warnings_preview: list[str] = field(default_factory=list)  # warnings and skipped rows, same form

    def summary(self) -> dict:
        """The figures (what `flask people import` prints)."""
        data = asdict(self)
        return {k: data[k] for k in ("total", *COUNTED, "warnings", "seconds")}


def limits() -> Limits:
    if not has_app_context():
        return Limits()
    cfg = current_app.config
    return Limits(max_bytes=int(cfg.get("IMPORT_MAX_BYTES", Limits.max_bytes)),
                  max_uncompressed=int(cfg.get("IMPORT_MAX_UNCOMPRESSED", Limits.max_uncompressed)),
                  max_rows=int(cfg.get("IMPORT_MAX_ROWS", Limits.max_rows)))


def _acting(user):
    """The audit log names the importing user: the request's user, the caller's `audit.acting_as`, else `user`."""
    if user is None or audit.current_actor().get("username"):
        return contextlib.nullcontext()
    name = getattr(user, "username", None) or str(user)
    return audit.acting_as(name, "批量导入")


_gc_lock = threading.Lock()
_gc_state = {"depth": 0, "was_enabled": True}


@contextlib.contextmanager
def _gc_paused():
    """No cyclic garbage collection while rows are checked and written: a batch allocates hundreds of thousands of
    small containers, and each full collection then walks every live object (measured: the row checks and the
    audit rows took twice as long). Reference counting still frees what a batch drops; collection resumes when
    the last import running in the process ends."""
    with _gc_lock:
        if _gc_state["depth"] == 0:
            _gc_state["was_enabled"] = gc.isenabled()
            gc.disable()
        _gc_state["depth"] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_state["depth"] -= 1
            if _gc_state["depth"] == 0 and _gc_state["was_enabled"]:
                gc.enable()


def _batches(iterable, size):
    it = iter(iterable)
    while batch := list(islice(it, size)):
        yield batch


def check_ready(institution, set_key: str) -> Catalogue:
    """Refusals that do not depend on the file: an unknown set, no mapped post (spec 4.2.4 (1)), no department."""
    if set_key not in SETS:
        raise ImportRefused(f"没有“{set_key}”这类信息，可导入的有：" + "、".join(SETS.values()))
    try:
        posts.require_mapped_post(institution.id)
    except DomainError as exc:
        raise ImportRefused(exc.message) from None
    cat = Catalogue(institution, set_key)
    if set_key == BASIC and not any(d.active for d in cat.departments):
        raise ImportRefused("本机构还没有启用的部门：请先在“部门管理”中维护科室（部门），重新下载模板后再导入")
    return cat


def run_import(institution, set_key: str, source, *, update_existing: bool = False, user=None, progress=None,
               batch_size: int | None = None) -> ImportResult:
    """Import a filled template (a path, bytes or a file-like object). Raises ImportRefused when the file itself is
    unusable (nothing is written then); otherwise every row ends counted in the result."""
    started = time.perf_counter()
    cat = check_ready(institution, set_key)
    sheet = open_sheet(source, cat, limits())
    result = ImportResult()
    checker = RowChecker(cat, update_existing)
    failed_rows = []
    processed = 0
    if progress:
        progress(0, sheet.total)
    try:
        with _acting(user), _gc_paused():
            for batch in _batches(sheet.rows(), max(1, batch_size or BATCH_SIZE)):
                result.total += len(batch)
                for out in _write_batch(checker, batch):
                    setattr(result, _ACTION_COUNTER[out.action], getattr(result, _ACTION_COUNTER[out.action]) + 1)
                    if out.failed:
                        failed_rows.append((out.row.cells, out.errors))
                        if len(result.errors_preview) < PREVIEW:
                            result.errors_preview.append(
                                f"第 {out.row.number} 行：" + "；".join(dict.fromkeys(m for _, m in out.errors)))
                        continue
                    result.warnings += len(out.warnings)
                    notes = [m for _, m in out.warnings] + ([SKIPPED_MESSAGE] if out.action == "skip" else [])
                    for message in notes:
                        if len(result.warnings_preview) < PREVIEW:
                            result.warnings_preview.append(f"第 {out.row.number} 行：{message}")
                processed += len(batch)
                if progress:
                    progress(processed, max(sheet.total, processed))
    finally:
        sheet.close()
    if result.total == 0:  # only blank rows under the header: nothing was written
        raise no_data(cat)
    if progress and sheet.total != result.total:
        progress(result.total, result.total)
    if failed_rows:
        result.report = report_module.build_report(cat, failed_rows)
    result.seconds = round(time.perf_counter() - started, 2)
    return result


_AS_IS = (str, int, bool, float)
_json_string = json.encoder.encode_basestring_ascii  # what json.dumps writes for a str
_DATES = (datetime.date, datetime.datetime)


def _plain(value):
    """A column value as the audit listener records it (fast paths for the types a row holds)."""
    cls = value.__class__
    if cls in _AS_IS:
        return value
    return value.isoformat() if cls in _DATES else audit.jsonable(value)


def _insert(checker: RowChecker, outcomes) -> None:
    """Created rows in one executemany (Core: the ORM unit of work and its audit listener cost about 0.5 ms a
    row), each with its audit-log row written here in the listener's format (action create, every non-empty
    column), in the same transaction."""
    if not outcomes:
        return
    now = datetime.datetime.now()
    table = checker.table
    rows = [checker.insert_values(o, now) for o in outcomes]
    # RETURNING the natural key with the id, so the order of the returned rows does not matter (SQLite can only
    # guarantee the order row by row); the key is unique inside a batch (duplicates in a file are refused)
    key_columns = checker.key_columns
    new_ids = _bulk_insert(table, rows, key_columns)
    actor = audit.current_actor()
    entries = []
    now_json = json.dumps(now.isoformat())
    prefixes = {k: ", " + _json_string(k) + ": [null, " for k in rows[0]} if rows else {}
    for row, new_id in zip(rows, new_ids, strict=True):
        entries.append(audit.log_row(table.name, str(new_id), row["institution_id"], "create",
                                     _create_changes(new_id, row, prefixes, now, now_json), actor, now))
    _bulk_insert(AuditLog.__table__, entries)


class _JsonText(str):
    """A value of a JSON column already serialised (written as is by `_bulk_insert`)."""


def _create_changes(new_id, row: dict, prefixes: dict, now, now_json: str) -> _JsonText:
    """The audit listener's `changes` of a created row ({"id": [null, id], column: [null, value]…} for every
    non-empty column), serialised straight to JSON: for 10,000 rows a quarter of a second less than building the
    dicts and calling json.dumps. Values as `_plain` gives them (dates as ISO text)."""
    parts = ['{"id": [null, ', str(new_id), "]"]
    for k, v in row.items():
        if v is None:
            continue
        cls = v.__class__
        if cls is str:
            text = _json_string(v)
        elif cls is int:
            text = str(v)
        elif v is now:
            text = now_json
        else:
            text = json.dumps(_plain(v))
        parts.append(prefixes[k] + text + "]")
    parts.append("}")
    return _JsonText("".join(parts))


def _bulk_insert(table, rows: list[dict], key_columns=()) -> list:
    """INSERT many rows (every dict with the same keys) in one go at the driver level. With `key_columns` (columns
    whose values tell the rows apart), the new ids in the order of `rows`: matched through RETURNING id and the key,
    since a multi-row INSERT does not promise the order of what it returns.

    SQLAlchemy's executemany spends more time processing each row's parameters (about 45 µs a row) than SQLite
    spends inserting it, so the values are converted here once per column type (`_converters`: what SQLAlchemy's
    own bind processors would store) and handed to the driver as tuples.

    SQLite: one multi-row INSERT … RETURNING per chunk of rows (at most SQLITE_VARIABLES parameters), or a plain
    executemany without `returning`. PostgreSQL: one INSERT … SELECT FROM unnest(arrays) (psycopg otherwise parses a
    statement with 30,000 placeholders per batch on the client, measured 0.2 s each)."""
    bind = db.session.get_bind()
    columns = list(rows[0])
    connection = db.session.connection()
    returning = ("id", *key_columns) if key_columns else ()
    if bind.dialect.name == "sqlite":
        convert = [(i, f) for i, f in enumerate(_converters(table, columns, bind.dialect)) if f is not None]
        data = []
        for row in rows:
            values = list(row.values())
            for i, f in convert:
                v = values[i]
                if v is not None:
                    values[i] = f(v)
            data.append(tuple(values))
        names = ", ".join(columns)
        if not returning:
            connection.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})",
                                       data)
            return []
        one = "(" + ", ".join("?" * len(columns)) + ")"
        per_chunk = max(1, SQLITE_VARIABLES // len(columns))
        returned = []
        for start in range(0, len(data), per_chunk):
            chunk = data[start:start + per_chunk]
            sql = (f"INSERT INTO {table.name} ({names}) VALUES {', '.join([one] * len(chunk))} "
                   f"RETURNING {', '.join(returning)}")
            returned += connection.exec_driver_sql(sql, tuple(itertools.chain.from_iterable(chunk))).all()
        positions = [columns.index(k) for k in key_columns]
        return _ids_in_order(returned, [tuple(row[i] for i in positions) for row in data])
    if bind.dialect.name != "postgresql":
        rows = [{k: json.loads(v) if v.__class__ is _JsonText else v for k, v in row.items()} for row in rows]
        stmt = insert(table)
        if returning:
            returned = db.session.execute(stmt.returning(*(table.c[c] for c in returning)), rows).all()
            return _ids_in_order(returned, [tuple(row[k] for k in key_columns) for row in rows])
        db.session.execute(stmt, rows)
        return []
    arrays, params = [], {}
    for i, name in enumerate(columns):
        column = table.c[name]
        values = [r[name] for r in rows]
        if isinstance(column.type, JSON):
            serialize = _json_writer(bind.dialect)
            values = [None if v is None else serialize(v) for v in values]
        params[f"p{i}"] = values
        arrays.append(f"%(p{i})s::{column.type.compile(dialect=bind.dialect)}[]")
    sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({', '.join(arrays)})"
           + (f" RETURNING {', '.join(returning)}" if returning else ""))
    result = connection.exec_driver_sql(sql, params)
    if not returning:
        return []
    return _ids_in_order(result.all(), [tuple(row[k] for k in key_columns) for row in rows])


def _ids_in_order(returned, keys) -> list:
    """RETURNING rows (id, *key) → the ids in the order of `keys`."""
    by_key = {tuple(r[1:]): r[0] for r in returned}
    return [by_key[key] for key in keys]


SQLITE_VARIABLES = 32766  # SQLITE_MAX_VARIABLE_NUMBER since SQLite 3.32


def _json_writer(dialect):
    serialize = dialect._json_serializer or json.dumps
    return lambda value: str(value) if value.__class__ is _JsonText else serialize(value)


def _converters(table, columns, dialect) -> list:
    """Per column, the function turning a Python value into what SQLAlchemy stores on SQLite (None: as is):
    dates and datetimes in SQLAlchemy's SQLite storage format, booleans as 0/1, JSON serialised."""
    out = []
    for name in columns:
        column_type = table.c[name].type
        if isinstance(column_type, JSON):
            out.append(_json_writer(dialect))
        elif isinstance(column_type, DateTime):
            out.append(_datetime_text())
        elif isinstance(column_type, Date):
            out.append(_sqlite_date)
        elif isinstance(column_type, Boolean):
            out.append(int)
        else:
            out.append(None)
    return out


def _datetime_text():
    """datetime → SQLAlchemy's SQLite text; the last value is remembered (a batch stamps every row alike)."""
    last = [None, None]

    def convert(value):
        if value is last[0]:
            return last[1]
        text = value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime.datetime) else value
        last[:] = [value, text]
        return text

    return convert


def _sqlite_date(value):
    if isinstance(value, datetime.datetime):
        value = value.date()
    return value.isoformat() if isinstance(value, datetime.date) else value


def _write_batch(checker: RowChecker, batch):
    """Check and write one batch in one transaction; on a conflict at commit, again row by row."""
    first_row = batch[0].number
    try:
        outcomes = checker.check(batch)
        for out in outcomes:
            if out.action == "update":
                checker.build(out)
        _insert(checker, [o for o in outcomes if o.action == "create"])
        db.session.commit()
        return outcomes
    except IntegrityError:
        db.session.rollback()
    # check the batch again as if it had not been seen (the file's keys from this batch on are forgotten; no copy of
    # the whole map per batch: with 100,000 rows that cost more than the conflict it prepares for)
    checker.seen = {k: n for k, n in checker.seen.items() if n < first_row}
    outcomes = checker.check(batch)
    for out in outcomes:
        if out.action not in ("create", "update"):
            continue
        try:
            if out.action == "update":
                checker.build(out)
            else:
                _insert(checker, [out])
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            out.action = "fail"
            out.errors.append(("id_number", "保存失败：同一证件号码的记录刚刚被其他人录入或修改，请刷新后核对，"
                                            "必要时重新导入此行"))
    return outcomes
