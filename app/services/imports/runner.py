"""Running an import (spec 4.2.2, 4.2.4): file checks → row checks (every error of every row) → writes in batches.

A batch (BATCH_SIZE rows by default) is one transaction of created rows. It is checked part by part (PART_SIZE
rows) against what is prefetched for the part (the records with its ID numbers anywhere in the province, the
persons' entries of the set), and each part's created rows go to a second thread (`_Writer`) that writes them as
multi-row INSERTs with their audit-log rows in the listener's format, built by the database (`_audit_created`), on
a connection of its own — while the calling thread checks the next part (the writes are mostly database work, done
without the GIL). Updates go through the ORM in the calling thread (the audit listener records the changed fields)
once the batch's created rows are committed. A batch is counted, and progress reported, then. Rows end as created,
updated, unchanged, skipped (exists and "update existing" is off) or failed; valid rows are saved whatever happens
to the others. If a commit fails on a conflict (someone saved the same ID number after the check), that batch's
rows are saved one by one so only the offending rows fail. Batches already committed stay if a later one raises (a
database outage): re-running the file skips or updates them.

The batch is the unit of work here, on purpose: an import of 100,000 rows commits every BATCH_SIZE rows, so it
never holds one transaction for minutes, its progress counts only committed rows, and an outage loses one batch,
not the file. The created rows are committed by the writer on its own connection (`_Writer`, `_end`); the updates
of a batch are one `services.transaction` (`_update`).

A part is checked before the rows before it are committed; the file's own repeated keys are caught by the
checker's memory of the keys it has seen, not by the database.

The same function serves the web pages, the background jobs and `flask people import`.
"""
from __future__ import annotations

import collections
import contextlib
import datetime
import functools
import gc
import itertools
import json
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from itertools import islice

from flask import current_app, has_app_context
from sqlalchemy import JSON, Boolean, Date, DateTime, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.domain.errors import DomainError
from app.extensions import db
from app.models.audit import AuditLog
from app.services import audit, posts
from app.services.imports import report as report_module
from app.services.imports.checks import Outcome, RowChecker
from app.services.imports.columns import BASIC, SETS, SKIPPED_MESSAGE, Catalogue
from app.services.imports.reader import ImportRefused, Limits, no_data, open_sheet
from app.services.transaction import transaction

__all__ = ["SETS", "ImportRefused", "ImportResult", "run_import"]
PREVIEW = 50
# Rows per transaction: fewer commits (about 15 ms each on SQLite) and prefetch queries with bigger batches; 5,000
# took 100,000 rows 7 % faster than 1,000 (bench/imports.py), and a batch stays small in memory (about 10 MB).
BATCH_SIZE = 5000
# Rows checked and handed to the writer thread at a time, inside a batch (one transaction per batch): the writer
# starts early and the last part is all that is left to write at the end.
PART_SIZE = 1000
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
    notes: list[tuple] = field(default_factory=list)  # (row number, name, message): every warning, the 提醒 sheet

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
               batch_size: int | None = None, committed=None, counted=None) -> ImportResult:
    """Import a filled template (a path, bytes or a file-like object). Raises ImportRefused when the file itself is
    unusable (nothing is written then); otherwise every row ends counted in the result.

    progress(processed, total) is called after each batch is committed, right after counted(counts) with the counts
    (created, updated, …) of the rows committed so far. committed(connection, counts) is called inside the
    transaction of each batch's created rows, just before it commits, with {"created": rows created once it commits}:
    a caller keeping counts (import jobs) stores them with the rows they count, so a process killed right after the
    commit loses neither."""
    started = time.perf_counter()
    cat = check_ready(institution, set_key)
    sheet = open_sheet(source, cat, limits())
    result = ImportResult()
    checker = RowChecker(cat, update_existing, sheet.record_versions)
    failed_rows = []
    processed = 0
    name_at = next((i for i, c in enumerate(cat.columns) if c.key == "name"), None)
    if progress:
        progress(0, sheet.total)
    counter = _ACTION_COUNTER

    def account(batch_outcomes):
        nonlocal processed
        for action, n in collections.Counter(out.action for out in batch_outcomes).items():
            setattr(result, counter[action], getattr(result, counter[action]) + n)
        for out in batch_outcomes:
            if out.action == "create" and not out.warnings:  # nothing to report: most rows of most files
                continue
            if out.failed:
                failed_rows.append((out.row.cells, out.errors))
                if len(result.errors_preview) < PREVIEW:
                    result.errors_preview.append(
                        f"第 {out.row.number} 行：" + "；".join(dict.fromkeys(m for _, m in out.errors)))
                continue
            result.warnings += len(out.warnings)
            notes = [m for _, m in out.warnings] + ([SKIPPED_MESSAGE] if out.action == "skip" else [])
            name = out.row.cells[name_at] if name_at is not None and name_at < len(out.row.cells) else None
            for message in notes:
                result.notes.append((out.row.number, name, message))
                if len(result.warnings_preview) < PREVIEW:
                    result.warnings_preview.append(f"第 {out.row.number} 行：{message}")
        processed += len(batch_outcomes)
        if counted:
            counted(_counts(result))
        if progress:
            progress(processed, max(sheet.total, processed))

    def finish(done):
        """The previous batch, once its created rows are committed: its updates (the writer is idle), counts."""
        outcomes = _settle(writer, checker, *done)
        _update(checker, outcomes)
        account(outcomes)

    pending = None  # the batch whose created rows the writer is saving: counted once they are committed
    try:
        with _acting(user), _gc_paused(), _Writer(db.engine) as writer:
            actor = audit.current_actor()
            for batch in _batches(sheet.rows(), max(1, batch_size or BATCH_SIZE)):
                result.total += len(batch)
                outcomes = []
                # part by part, so the writer starts on a batch early and has little left after its last part
                for part in _batches(batch, PART_SIZE):
                    checked = checker.check(part)  # meanwhile the writer saves the parts before
                    outcomes += checked
                    if pending is not None:
                        done, pending = pending, None
                        finish(done)
                    writer.add(checker, [o for o in checked if o.action == "create"], actor)
                stamp = None
                if committed is not None:
                    created = result.created + sum(1 for o in outcomes if o.action == "create")
                    stamp = functools.partial(committed, counts={"created": created})
                pending = (outcomes, writer.commit(stamp))
            if pending is not None:
                done, pending = pending, None
                finish(done)
    finally:
        if pending is not None:  # something failed while the writer was saving a batch: that batch still counts
            with contextlib.suppress(Exception):
                finish(pending)
        sheet.close()
    if result.total == 0:  # only blank rows under the header: nothing was written
        raise no_data(cat)
    if cat.detail_set is None and result.created:  # people released on request are entered: the requests are done
        from app.services import transfers

        transfers.complete_entered(institution.id)
    if progress and sheet.total != result.total:
        progress(result.total, result.total)
    if failed_rows:
        result.report = report_module.build_report(cat, failed_rows, sheet.record_versions, result.notes)
    result.seconds = round(time.perf_counter() - started, 2)
    return result


def _counts(result: ImportResult) -> dict:
    return {key: getattr(result, key) for key in (*COUNTED, "warnings")}


class _Writer:
    """Saves the created rows of a batch (and their audit rows) in a second thread, on a connection of its own, in
    one transaction, while the calling thread checks the rows that follow: sqlite3 and psycopg release the GIL
    while the database works, and the checks are Python, so the two overlap on two cores. The rows come part by
    part (`add`, PART_SIZE rows) and the batch ends with `commit`. Updates stay in the calling thread, in the
    session (the audit listener records them), between a commit and the next batch's first part — the writer
    has no transaction open then. An in-memory SQLite database (one connection only) is written in the calling
    thread."""

    def __init__(self, engine):
        self.engine = engine
        memory = engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")
        self._pool = None if memory else ThreadPoolExecutor(1, thread_name_prefix="import-writer")
        # used in the writer's thread only: the batch's connection, and what went wrong in it
        self._connection = None
        self._cache_size = None
        self._failed = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.run(self._close, False)  # a batch left without commit (the import raised): rolled back
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def run(self, fn, *args) -> Future:
        """fn(*args) in the writer's thread (in the calling thread when there is none)."""
        if self._pool is not None:
            return self._pool.submit(fn, *args)
        future = Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # raised again by future.result(), as from the thread
            future.set_exception(exc)
        return future

    def add(self, checker: RowChecker, outcomes, actor) -> None:
        """Save `outcomes` (rows to create) in the current batch's transaction. The values are taken here, in the
        calling thread: the outcomes belong to it."""
        if outcomes:
            now = datetime.datetime.now()
            rows = [checker.insert_row(o, now) for o in outcomes]
            self.run(self._write, checker.table, checker.insert_columns, rows, actor, now, checker.stamped_columns)

    def commit(self, stamp=None) -> Future:
        """End the batch: its result raises what went wrong in it (IntegrityError on a conflict). `stamp(connection)`
        runs in the batch's transaction just before the commit (in a savepoint: a failing stamp loses no row)."""
        return self.run(self._commit, stamp)

    def submit(self, checker: RowChecker, outcomes, actor) -> Future:
        """Save `outcomes` in a transaction of their own (between batches)."""
        now = datetime.datetime.now()
        rows = [checker.insert_row(o, now) for o in outcomes]
        return self.run(_insert, self.engine, checker.table, checker.insert_columns, rows, actor, now,
                        checker.stamped_columns)

    # -- in the writer's thread --------------------------------------------------------------------------------

    def _write(self, table, columns, rows, actor, now, stamped):
        if self._failed is not None:  # the batch is lost already: its commit will say why
            return
        try:
            if self._connection is None:
                self._connection, self._cache_size = _begin(self.engine)
            _audit_created(self._connection, table, _bulk_insert(self._connection, table, columns, rows), actor,
                           now, stamped)
        except Exception as exc:
            self._failed = exc
            self._close(False)

    def _commit(self, stamp=None):
        failed, self._failed = self._failed, None
        if failed is not None:
            raise failed
        if stamp is not None and self._connection is not None:
            try:
                with self._connection.begin_nested():
                    stamp(self._connection)
            except Exception:  # the counts are written again after the commit (progress)
                logging.getLogger(__name__).warning("could not store the batch counts with the batch", exc_info=True)
        self._close(True)

    def _close(self, commit: bool):
        connection, self._connection = self._connection, None
        if connection is not None:
            _end(connection, self._cache_size, commit)


def _begin(engine):
    """A connection in a transaction for a batch's rows (and the page cache size to restore at the end).

    SQLite: the connection's page cache is raised for the transaction so the batch's pages stay in memory until
    the commit. With the default 2 MB cache SQLite spills them to the file before the commit, which takes the
    exclusive lock early and blocks every reader (the thread checking the next rows, the web pages) until the
    commit: 100,000 rows spent 1.8 s waiting for that lock."""
    connection = engine.connect()
    default = None
    try:
        if connection.dialect.name == "sqlite":
            default = connection.exec_driver_sql("PRAGMA cache_size").scalar()
            connection.exec_driver_sql(f"PRAGMA cache_size = {SQLITE_BATCH_CACHE}")
            connection.commit()  # ends SQLAlchemy's autobegun transaction (SQLite opened none for a PRAGMA)
        connection.begin()
    except BaseException:
        connection.close()
        raise
    return connection, default


def _end(connection, cache_size, commit: bool) -> None:
    """Commit (or roll back) and give the connection back, its page cache as it was."""
    try:
        if commit:
            connection.commit()
    finally:
        try:
            connection.rollback()
            if cache_size is not None:
                connection.exec_driver_sql(f"PRAGMA cache_size = {int(cache_size)}")
                connection.commit()
        finally:
            connection.close()


def _insert(engine, table, columns: tuple, rows: list[list], actor: dict, now: datetime.datetime,
            stamped: tuple = ()) -> None:
    """Created rows in one multi-row INSERT (Core: the ORM unit of work and its audit listener cost about 0.5 ms a
    row), then their audit-log rows in the listener's format (action create, every non-empty column), built by the
    database from the stored rows (`_audit_created`), in a transaction of their own."""
    if not rows:
        return
    connection, cache_size = _begin(engine)
    committed = False
    try:
        _audit_created(connection, table, _bulk_insert(connection, table, columns, rows), actor, now, stamped)
        committed = True
    finally:
        _end(connection, cache_size, committed)


SQLITE_BATCH_CACHE = -65536  # KiB (negative: a size, not a page count): 64 MB at most, taken only as pages are used


def _update(checker: RowChecker, outcomes) -> None:
    """The batch's updates through the session (the audit listener records the changed fields), in one transaction;
    on a conflict at commit, again one by one (a transaction each) so only the offending rows fail."""
    updates = [o for o in outcomes if o.action == "update"]
    try:
        with transaction():
            for out in updates:
                checker.build(out)
        return
    except (IntegrityError, StaleDataError):  # StaleDataError: a record changed since the check (version)
        pass  # the batch's updates are rolled back: each row again on its own
    for out in updates:
        try:
            with transaction():
                if checker.changed_since_export(out):  # re-read after the batch's failure
                    continue
                checker.build(out)
        except IntegrityError:
            _conflict(out)
        except StaleDataError:
            if not checker.changed_since_export(out):
                _changed(out)


def _settle(writer: _Writer, checker: RowChecker, outcomes, future: Future):
    """Wait for the writer's batch; if its commit failed on a conflict (someone saved the same ID number after the
    check), save its created rows one by one so only the offending rows fail. Other errors are raised."""
    try:
        future.result()
        return outcomes
    except IntegrityError:
        pass
    actor = audit.current_actor()
    for out in outcomes:
        if out.action != "create":
            continue
        try:
            writer.submit(checker, [out], actor).result()
        except IntegrityError:
            _conflict(out)
    return outcomes


def _changed(out: Outcome) -> None:
    out.action = "fail"
    out.errors.append((None, "保存失败：该记录刚刚被其他人修改，本行未导入，以免覆盖他人的修改："
                             "请刷新后核对，必要时重新导入此行"))


def _conflict(out: Outcome) -> None:
    out.action = "fail"
    out.errors.append(("id_number", "保存失败：同一证件号码的记录刚刚被其他人录入或修改，请刷新后核对，"
                                    "必要时重新导入此行"))


def _audit_created(connection, table, ids: list, actor: dict, now: datetime.datetime, stamped: tuple = ()) -> None:
    """One INSERT … SELECT writing the audit rows of the created rows `ids` of `table`: what the session listener
    records for a create (`audit._field_changes`: {column: [null, value]} for every non-empty column, values as
    `audit.jsonable` gives them — dates and datetimes in ISO form, booleans as true/false), built with the
    database (on SQLite in the thread that writes, without holding the GIL). `stamped`: columns whose value is
    `now` in every row."""
    if not ids:
        return
    dialect = connection.dialect.name
    fixed = {"at": now, "user_id": actor.get("user_id"), "username": actor.get("username"),
             "client_addr": actor.get("client_addr")}
    head = ("INSERT INTO audit_log (at, user_id, username, client_addr, institution_id, action, entity, entity_id, "
            "changes) ")
    institution = "institution_id" if "institution_id" in table.c else "NULL"
    audited = [c for c in table.columns if c.name != "version"]  # the version is bookkeeping, as in audit.py
    if dialect == "sqlite":
        # the JSON text by concatenation: {"id": […], then `, "column": […]` for each non-empty column, the
        # stamped ones last and alike for every row (a parameter); a third of the time of json_object with the
        # empty members removed by json_patch
        members = "".join(_sqlite_member(c) for c in audited if c.name != "id" and c.name not in stamped)
        same = "".join(f", {_json_string(c)}: [null, {json.dumps(now.isoformat())}]" for c in stamped) + "}"
        select_ = (f"SELECT ?, ?, ?, ?, {institution}, 'create', '{table.name}', CAST(id AS TEXT), "
                   f"""'{{"id": [null, ' || id || ']'{members} || ? FROM {table.name} WHERE id IN """)
        params = (_datetime_text()(now), fixed["user_id"], fixed["username"], fixed["client_addr"], same)
        per_chunk = SQLITE_VARIABLES - len(params)
        for start in range(0, len(ids), per_chunk):
            chunk = ids[start:start + per_chunk]
            connection.exec_driver_sql(head + select_ + "(" + ", ".join("?" * len(chunk)) + ")", (*params, *chunk))
        return
    if dialect == "postgresql" and len(audited) <= 50:  # json_build_object takes at most 100 arguments
        members = ", ".join(f"'{c.name}', {_postgresql_member(c)}" for c in audited)
        connection.exec_driver_sql(
            head + f"SELECT %(at)s, %(user_id)s, %(username)s, %(client_addr)s, {institution}, 'create', "
                   f"'{table.name}', id::text, json_strip_nulls(json_build_object({members})) FROM {table.name} "
                   "WHERE id = ANY(%(ids)s)", {**fixed, "ids": list(ids)})
        return
    entries = []
    for row in connection.execute(select(table).where(table.c.id.in_(ids))).mappings():
        changes = {k: [None, audit.jsonable(v)] for k, v in row.items() if v is not None and k != "version"}
        entries.append(audit.log_row(table.name, str(row["id"]), row.get("institution_id"), "create", changes,
                                     actor, now))
    connection.execute(insert(AuditLog.__table__), entries)


def _sqlite_member(column) -> str:
    """` || ', "column": [null, value]'` of a column as SQLAlchemy stores it on SQLite; nothing when the column is
    empty (not tested for NOT NULL columns)."""
    name, column_type = column.name, column.type
    value = f"json_quote({name})"  # text, integers, dates (stored as "2026-11-26")
    empty = f"{name} IS NULL"
    if isinstance(column_type, JSON):
        value, empty = f"json({name})", f"{name} IS NULL OR {name} = 'null'"
    elif isinstance(column_type, Boolean):
        value = f"iif({name}, 'true', 'false')"
    elif isinstance(column_type, DateTime):  # stored as "2026-11-26 13:10:00.123456"; isoformat drops .000000
        value = f"json_quote(replace(replace({name}, ' ', 'T'), '.000000', ''))"
    member = f"""', "{name}": [null, ' || {value} || ']'"""
    if column.nullable or isinstance(column_type, JSON):
        member = f"iif({empty}, '', {member})"
    return " || " + member


_json_string = json.encoder.encode_basestring_ascii  # what json.dumps writes for a str


def _postgresql_member(column) -> str:
    """The same on PostgreSQL (to_json of a date is its ISO text, of a boolean true/false)."""
    name, column_type = column.name, column.type
    if isinstance(column_type, JSON):
        return f"CASE WHEN {name} IS NULL OR {name}::text = 'null' THEN NULL ELSE json_build_array(NULL, {name}) END"
    if isinstance(column_type, DateTime):
        text = f"""regexp_replace(to_char({name}, 'YYYY-MM-DD"T"HH24:MI:SS.US'), '\\.000000$', '')"""
        return f"CASE WHEN {name} IS NULL THEN NULL ELSE json_build_array(NULL, {text}) END"
    return f"CASE WHEN {name} IS NULL THEN NULL ELSE json_build_array(NULL, {name}) END"


def _bulk_insert(connection, table, columns: tuple, rows: list[list]) -> list:
    """INSERT many rows (lists of values in the order of `columns`) in one go at the driver level; the new ids (in
    no particular order: a multi-row INSERT does not promise the order of what it returns).

    SQLAlchemy's executemany spends more time processing each row's parameters (about 45 µs a row) than SQLite
    spends inserting it, so the values are converted here once per column type (`_converters`: what SQLAlchemy's
    own bind processors would store) and handed to the driver as one flat tuple.

    SQLite: one multi-row INSERT per chunk of rows (at most SQLITE_VARIABLES parameters). PostgreSQL: one
    INSERT … SELECT FROM unnest(arrays) (psycopg otherwise parses a statement with 30,000 placeholders per batch
    on the client, measured 0.2 s each)."""
    dialect = connection.dialect
    if dialect.name == "sqlite":
        convert = [(i, f) for i, f in enumerate(_converters(table, columns, dialect)) if f is not None]
        for row in rows:
            for i, f in convert:
                v = row[i]
                if v is not None:
                    row[i] = f(v)
        names = ", ".join(columns)
        one = "(" + ", ".join("?" * len(columns)) + ")"
        per_chunk = max(1, SQLITE_VARIABLES // len(columns))
        ids = []
        for start in range(0, len(rows), per_chunk):
            chunk = rows[start:start + per_chunk]
            # no RETURNING: it makes SQLite hand back each row separately (the GIL taken again for each, which
            # stalled the thread checking the next batch); the rows of one INSERT get consecutive ids (SQLite's
            # rowid is the largest one plus one while this transaction holds the write lock)
            last = connection.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES "
                                              f"{', '.join([one] * len(chunk))}",
                                              tuple(itertools.chain.from_iterable(chunk))).lastrowid
            ids += range(last - len(chunk) + 1, last + 1)
        return ids
    if dialect.name != "postgresql":
        return list(connection.execute(insert(table).returning(table.c.id),
                                       [dict(zip(columns, row, strict=True)) for row in rows]).scalars())
    arrays, params = [], {}
    for i, name in enumerate(columns):
        column = table.c[name]
        values = [r[i] for r in rows]
        if isinstance(column.type, JSON):
            serialize = _json_writer(dialect)
            values = [None if v is None else serialize(v) for v in values]
        params[f"p{i}"] = values
        arrays.append(f"%(p{i})s::{column.type.compile(dialect=dialect)}[]")
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({', '.join(arrays)}) RETURNING id"
    return connection.exec_driver_sql(sql, params).scalars().all()


SQLITE_VARIABLES = 32766  # SQLITE_MAX_VARIABLE_NUMBER since SQLite 3.32


def _json_writer(dialect):
    return dialect._json_serializer or json.dumps


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
