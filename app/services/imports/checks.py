"""The checks of the rows of an import file (spec 4.2.2, 4.2.4), batch by batch.

The rules are those of the single-entry forms: 基本信息 goes through `services.people.check_person` with a
`PrefetchedLookup` (the departments and posts of the institution, and the holders of the batch's ID numbers, read
once per batch instead of one query per row); detail entries go through `services.people.check_detail`. What is
added here is only what a spreadsheet needs: dropdown names → codes, department / post names → ids with a
suggestion on a near miss, 机构名称, matching 姓名 + 证件号码 to a person, duplicates inside the file and the natural
key of each set.
"""
from __future__ import annotations

import dataclasses
import datetime
import json
from dataclasses import dataclass, field

from sqlalchemy import String, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY

from app.domain.person import ACTIVE_STATUSES, LABELS
from app.extensions import db
from app.models.audit import AuditLog
from app.models.people import Person
from app.services import concurrency, people
from app.services.imports.cells import SourceRow, cell_date, cell_text
from app.services.imports.columns import INSTITUTION_LABEL, Catalogue, Column

# ---- what the rules of 基本信息 ask, prefetched per batch -------------------------------------------------------

def _among(column, values: list):
    """`column IN values` with the values as one parameter (SQLite: a JSON array read by json_each; PostgreSQL:
    = ANY(array)): 5,000 separate parameters cost SQLAlchemy and the driver about 5 ms a batch."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite":
        return column.in_(select(func.json_each(json.dumps(values)).table_valued("value").c.value))
    if dialect == "postgresql":
        return column == any_(bindparam("values", values, type_=ARRAY(String), unique=True))
    return column.in_(values)


def prefetch_people(id_numbers, institution_id) -> tuple[dict, dict]:
    """One query per batch, on the id_number index alone (a condition on the institution would let a planner
    without statistics, e.g. PostgreSQL during a first big import, scan the whole institution per batch):
    (id number → this institution's record: the active one, else the newest;
     id number → the active record holding it anywhere in the province)."""
    ours, holders = {}, {}
    if not id_numbers:
        return ours, holders
    for p in db.session.scalars(select(Person).where(_among(Person.id_number, sorted(id_numbers)))):
        active = p.status in ACTIVE_STATUSES
        if active:
            holders[p.id_number] = p
        if p.institution_id == institution_id:
            have = ours.get(p.id_number)
            if have is None or (active, p.id) > (have.status in ACTIVE_STATUSES, have.id):
                ours[p.id_number] = p
    return ours, holders


class PrefetchedLookup:
    """`services.people.PersonLookup` answered from maps read once per batch: `refs` maps "department_id" /
    "post_id" to {id: Ref} of the institution (the Catalogue's), `holders` id number → active holder
    (`prefetch_people`). Same questions, same answers (a test holds the two lookups to it)."""

    __slots__ = ("departments", "posts", "holders")

    def __init__(self, refs: dict, holders: dict):
        self.departments, self.posts, self.holders = refs["department_id"], refs["post_id"], holders

    def department(self, department_id: int):
        return self.departments.get(department_id)

    def post(self, post_id: int):
        return self.posts.get(post_id)

    def holder(self, id_number: str, person=None):
        holder = self.holders.get(id_number)
        return holder if holder is not None and (person is None or holder.id != person.id) else None


# ---- one row -----------------------------------------------------------------------------------------------------

@dataclass(slots=True)
class Outcome:
    row: SourceRow
    errors: list = field(default_factory=list)  # [(column key or None, message)]
    warnings: list = field(default_factory=list)
    action: str = "fail"  # create | update | unchanged | skip | fail
    values: dict = field(default_factory=dict)
    target: object = None  # the existing record (update / unchanged / skip)
    person: object = None  # detail sets: the person the entry belongs to
    person_id: int | None = None  # its id (read when the row is written, after commits have expired `person`)
    exported_version: int | None = None  # set when the record changed after the export: reported, not written

    @property
    def failed(self):
        return self.action == "fail"


def _normal(value):
    return None if value == "" else value


class RowChecker:
    """Checks rows batch by batch; remembers the natural keys already seen so a file cannot duplicate itself."""

    def __init__(self, catalogue: Catalogue, update_existing: bool, record_versions: dict | None = None):
        self.cat = catalogue
        self.update_existing = update_existing
        self.record_versions = record_versions or {}  # of an exported file: {record id: version at the export}
        self.seen: dict = {}
        self.refs = {"department_id": {r.id: r for r in catalogue.departments},
                     "post_id": {r.id: r for r in catalogue.posts}}
        self.dept_by_id = self.refs["department_id"]
        self._plan = []
        for i, col in enumerate(catalogue.columns):
            if col.key == "institution_name":
                mode = "institution"
            elif col.kind in ("date", "end_date"):
                mode = "date"
            elif col.choice == "departments":
                mode = "department"
            elif col.choice == "posts":
                mode = "post"
            elif col.choice:
                mode = "choice"
            else:
                mode = "text"
            self._plan.append((i, col, mode, catalogue.choices[col.choice].codes if mode == "choice" else None))
        self._by_mode = {m: [(i, col) for i, col, mode, _ in self._plan if mode == m]
                         for m in ("institution", "text", "date", "department", "post")}
        # dropdown columns with their lists: (index, column, key, name → code)
        self._choices = [(i, col, col.key, codes) for i, col, mode, codes in self._plan if mode == "choice"]
        if catalogue.detail_set is not None:
            plain = tuple(dataclasses.replace(f, kind="text", limit=10 ** 9) if f.kind.startswith("code:") else f
                          for f in catalogue.detail_set.fields)
            # check_detail with the coded fields already resolved here (from lists read once, not per row)
            self.plain_set = dataclasses.replace(catalogue.detail_set, fields=plain)

    # -- shared --------------------------------------------------------------------------------------------------

    def _institution(self, value, out: Outcome):
        typed = cell_text(value)
        if typed is None:
            out.errors.append(("institution_name", f"{INSTITUTION_LABEL}不能为空"))
        elif typed != self.cat.institution_name:
            out.errors.append(("institution_name", f"{INSTITUTION_LABEL}“{typed}”与登录机构“{self.cat.institution_name}”"
                                                   "不一致，须完全一致"))

    def _coded(self, col: Column, typed: str, out: Outcome):
        """Dropdown value → stored code (exact, or an unambiguous alias with a warning); None with the error
        otherwise. The message is the rule's own ("…须从下拉列表中选择（当前：…）") plus the right value on a
        near miss."""
        if col.choice == "staff_status" and typed in self.cat.rules["known_statuses"]:
            return typed  # a status the template does not offer (离职…): check_person's status rule answers it
        choice = self.cat.choices[col.choice]
        stored, warning = choice.resolve(typed, col.label)
        if stored is not None:
            if warning:
                out.warnings.append((col.key, warning))
            return stored
        message = f"{col.label}须从下拉列表中选择（当前：{typed}）"
        suggestion = choice.suggest(typed)
        out.errors.append((col.key, message + (f"，是否应为“{suggestion}”？" if suggestion else "")))
        return None

    def _duplicate(self, key, out: Outcome, what, column: str):
        """`what`: the text naming the key, or a function giving it (built only for a repeated key)."""
        first = self.seen.get(key)
        if first is not None:
            what = what() if callable(what) else what
            out.errors.append((column, f"与第 {first} 行重复（{what}），同一文件中只能出现一次"))
        else:
            self.seen[key] = out.row.number

    def _decide(self, out: Outcome, existing, fields, current):
        """create / update / unchanged / skip for a valid row."""
        if out.errors:
            out.action = "fail"
            return
        if existing is None:
            out.action = "create"
            return
        out.target = existing
        if not self.update_existing:
            out.action = "skip"
            return
        same = all(_normal(current(existing, k)) == _normal(out.values.get(k)) for k in fields)
        out.action = "unchanged" if same else "update"
        # a change to a former employee's record is refused: it is read-only (spec 4.4)
        if out.action == "update" and isinstance(existing, Person) and people.read_only_problem(existing):
            out.action = "fail"
            out.errors.append(("status", people.read_only_problem(existing)))
        if out.action == "update" and self.record_versions:
            exported = self.record_versions.get(existing.id)
            if exported is not None and (existing.version or 0) > exported:
                out.action = "fail"  # changed since the export: the message is built per part (_explain_stale)
                out.exported_version = exported

    def check(self, rows: list[SourceRow]) -> list[Outcome]:
        outcomes = self._check_basic(rows) if self.cat.detail_set is None else self._check_detail(rows)
        if self.record_versions:
            self._explain_stale(outcomes)
        return outcomes

    def changed_since_export(self, out: Outcome) -> bool:
        """For an update about to be written (its record re-read): changed after the export? Then the row fails
        with the message of `_explain_stale`."""
        exported = self.record_versions.get(out.target.id) if self.record_versions else None
        if exported is None or (out.target.version or 0) <= exported:
            return False
        out.action, out.exported_version = "fail", exported
        self._explain_stale([out])
        return True

    def _explain_stale(self, outcomes):
        """"该记录在导出后已被 X 于 Y 修改…" for the rows whose record changed after the export: who, when and
        the changed fields from the audit trail, read in one query for the part."""
        stale = [o for o in outcomes if o.exported_version is not None]
        if not stale:
            return
        table = self.table.name
        trail = {}
        for row in db.session.scalars(select(AuditLog).where(
                AuditLog.entity == table, AuditLog.entity_id.in_([str(o.target.id) for o in stale]))
                .order_by(AuditLog.id.desc())):
            trail.setdefault(row.entity_id, []).append(row)
        if self.cat.detail_set is None:
            labels, shown = LABELS, people.shown_value
        else:
            labels, shown = {f.key: f.label for f in self.cat.detail_set.fields}, None
        for out in stale:
            found = concurrency.conflict_from_audit(table, (out.target.id,), out.exported_version, out.target, labels,
                                                    shown, rows=trail.get(str(out.target.id), []), since="导出时")
            who = f"{found.who} 于 {found.when} " if found.who else ""
            detail = "（" + "；".join(found.differences) + "）" if found.differences else ""
            out.errors.append((None, f"该记录在导出后已被 {who}修改{detail}，本行未导入，以免覆盖他人的修改："
                                     "请重新导出后再修改导入"))

    # -- 基本信息 --------------------------------------------------------------------------------------------------

    def _parse_basic(self, row: SourceRow):
        """Cells → the raw dict of the 基本信息 rules (names of dropdown values turned into their codes). Columns are
        taken kind by kind (`_by_mode`): this runs for every row of a file."""
        out, raw, pre_errors = Outcome(row=row), {}, []
        cells = row.cells
        modes = self._by_mode
        for i, _col in modes["institution"]:
            value = cells[i]
            if value.__class__ is str:
                value = value.strip() or None
            if value != self.cat.institution_name:
                self._institution(value, out)
        for i, col in modes["text"]:
            value = cells[i]
            if value.__class__ is str:
                value = value.strip() or None
            elif value is not None:
                value = cell_text(value)
            raw[col.key] = value
        for i, col in modes["date"]:
            value = cells[i]
            if value.__class__ is str:
                value = value.strip() or None
            elif value is not None:
                value = cell_date(value)
            raw[col.key] = value
        for i, col, key, codes in self._choices:
            value = cells[i]
            if value.__class__ is str:
                value = value.strip() or None
            elif value is not None:
                value = cell_text(value)
            if value is None:
                raw[key] = None
                continue
            stored = codes.get(value)  # the common case: exactly a dropdown value
            raw[key] = stored if stored is not None else self._coded(col, value, out)
        for mode in ("department", "post"):
            for i, col in modes[mode]:
                value = cells[i]
                if value.__class__ is str:
                    value = value.strip() or None
                elif value is not None:
                    value = cell_text(value)
                if value is None:
                    raw[col.key] = None
                    continue
                ref, problem = (self.cat.department_by_name(value, col.label) if mode == "department"
                                else self.cat.post_by_name(value))
                raw[col.key] = str(ref.id) if ref else "0"
                if problem:
                    pre_errors.append((col.key, problem))
        return out, raw, pre_errors

    def _check_basic(self, rows):
        parsed = [self._parse_basic(r) for r in rows]
        numbers = {(raw.get("id_number") or "").upper() for _, raw, _ in parsed} - {""}
        existing, holders = prefetch_people(numbers, self.cat.institution_id)
        lookup = PrefetchedLookup(self.refs, holders)
        today = datetime.date.today()
        outcomes = []
        for out, raw, pre_errors in parsed:
            number = (raw.get("id_number") or "").upper()
            person = existing.get(number)
            # stripped: _parse_basic has stripped every text and turned blanks into None
            checked = people.check_person(self.cat.institution_id, raw, person, self.cat.rules, lookup,
                                          stripped=True, today=today)
            if out.errors or pre_errors:
                # a value already refused here (unknown name) is not reported a second time as blank / not chosen
                refused = {k for k, _ in out.errors} | {k for k, _ in pre_errors}
                out.errors += pre_errors + [(e.field, e.message) for e in checked.errors if e.field not in refused]
            elif checked.errors:
                out.errors = [(e.field, e.message) for e in checked.errors]
            if checked.warnings:
                out.warnings += [(w.field, w.message) for w in checked.warnings]
            out.values = checked.values  # blanks are None already: cells are read as None, never ""
            if number and not any(k == "id_number" for k, _ in out.errors):
                self._duplicate(number, out, lambda n=number: f"证件号码 {n}", "id_number")
            if person is not None and out.values.get("name") and person.name != out.values["name"]:
                out.errors.append(("name", f"证件号码 {number} 在本机构登记的姓名为“{person.name}”，与填写的“"
                                           f"{out.values['name']}”不一致；姓名与证件号码须与系统中一致，"
                                           "如需更改姓名请在人员信息中单条修改"))
            self._decide(out, person, people.BASIC_FIELDS, getattr)
            outcomes.append(out)
        return outcomes

    # -- detail sets -------------------------------------------------------------------------------------------------

    def _parse_detail(self, row: SourceRow):
        out, raw, ident = Outcome(row=row), {}, {}
        for col, value in zip(self.cat.columns, row.cells, strict=True):
            if col.key == "institution_name":
                self._institution(value, out)
            elif col.key in ("name", "id_number", "department"):
                ident[col.key] = cell_text(value)
            elif col.kind in ("date", "end_date"):
                raw[col.key] = cell_date(value)
            else:
                typed = cell_text(value)
                if typed is not None and col.choice:
                    stored = self._coded(col, typed, out)
                    # refused: passed on as typed (a text field for check_detail) so "不能为空" is not added
                    typed = typed if stored is None else stored
                raw[col.key] = typed
        if ident.get("id_number"):
            ident["id_number"] = ident["id_number"].upper()
        return out, raw, ident

    def _match_person(self, ident, by_number, by_name, out: Outcome):
        name, number = ident.get("name"), ident.get("id_number")
        if not name:
            out.errors.append(("name", "姓名不能为空"))
        if not number:
            out.errors.append(("id_number", "证件号码不能为空"))
        if not name or not number:
            return None
        found = by_number.get(number)
        if found is not None and found.name == name:
            return found
        if found is not None:
            out.errors.append(("name", f"姓名“{name}”与本机构证件号码为 {number} 的人员（“{found.name}”）不一致，"
                                       "姓名须与基本信息中的完全一致"))
        elif name in by_name:
            out.errors.append(("id_number", f"证件号码 {number} 与本机构人员“{name}”在基本信息中登记的证件号码不一致，"
                                            "请核对证件号码"))
        else:
            out.errors.append(("id_number", f"本机构没有姓名为“{name}”、证件号码为 {number} 的人员，"
                                            "请先录入或导入此人的基本信息"))
        return None

    def _check_department(self, person, typed, out: Outcome):
        label = "所在部门"
        ref, problem = self.cat.department_by_name(typed, label)
        if problem:
            out.errors.append(("department", problem))
            return
        current = self.dept_by_id.get(person.department_id) if person.department_id else None
        if current is None:
            out.errors.append(("department", f"{label}“{typed}”与此人基本信息中的所在科室（未填写）不一致"))
        elif current.name != ref.name:
            out.errors.append(("department", f"{label}“{typed}”与此人基本信息中的所在科室“{current.name}”不一致"))

    def _check_detail(self, rows):
        parsed = [self._parse_detail(r) for r in rows]
        numbers = {ident["id_number"] for _, _, ident in parsed if ident.get("id_number")}
        names = {ident["name"] for _, _, ident in parsed if ident.get("name")}
        by_number, _ = prefetch_people(numbers, self.cat.institution_id)
        by_name = set()
        if names:
            by_name = set(db.session.scalars(select(Person.name).where(
                Person.institution_id == self.cat.institution_id, Person.name.in_(list(names)))))
        ds = self.cat.detail_set
        matched = {}
        for out, _raw, ident in parsed:
            matched[id(out)] = self._match_person(ident, by_number, by_name, out)
        person_ids = {p.id for p in matched.values() if p is not None}
        entries = {}
        if person_ids:
            model = ds.model
            for e in db.session.scalars(select(model).where(model.person_id.in_(list(person_ids)))
                                        .order_by(model.id)):
                entries.setdefault((e.person_id, tuple(getattr(e, k) for k in self.cat.natural_key)), e)
        field_keys = [f.key for f in ds.fields]
        outcomes = []
        for out, raw, ident in parsed:
            person = matched[id(out)]
            if person is not None and ident.get("department"):
                self._check_department(person, ident["department"], out)
            values, issues = people.check_detail(self.plain_set, raw, person)
            keys = {c.key for c in self.cat.columns}
            for issue in issues:
                key = issue.field if issue.field in keys else next(
                    (c.key for c in self.cat.columns if c.kind == "date"), None)
                if not any(k == key and m == issue.message for k, m in out.errors):
                    out.errors.append((key, issue.message))
            if people.read_only_problem(person):  # a former employee's record takes no new entries either
                out.errors.append(("name", people.read_only_problem(person)))
            out.values = values
            out.person = person
            out.person_id = person.id if person is not None else None
            existing = None
            if person is not None:
                key = tuple(values.get(k) for k in self.cat.natural_key)
                if all(v not in (None, "") for v in key):
                    what = "同一人员的" + "、".join(f.label for f in ds.fields if f.key in self.cat.natural_key) + "相同"
                    self._duplicate((person.id, key), out, what, self.cat.natural_key[0])
                existing = entries.get((person.id, key))
            self._decide(out, existing, field_keys, getattr)
            outcomes.append(out)
        return outcomes

    # -- writing -------------------------------------------------------------------------------------------------

    @property
    def table(self):
        return Person.__table__ if self.cat.detail_set is None else self.cat.detail_set.model.__table__

    @property
    def insert_columns(self) -> tuple:
        """The columns of a created row, in the order of `insert_row`."""
        if self.cat.detail_set is None:
            return ("institution_id", *people.BASIC_FIELDS, "photo_path", "photo_thumb", *self.stamped_columns)
        return ("person_id", "institution_id", *(f.key for f in self.cat.detail_set.fields), "attachments",
                *self.stamped_columns)

    @property
    def stamped_columns(self) -> tuple:
        """The last columns of `insert_columns`: the time of the write."""
        return ("created_at", "updated_at") if self.cat.detail_set is None else ("created_at",)

    def insert_row(self, out: Outcome, now: datetime.datetime) -> list:
        """The values of a created row, in the order of `insert_columns` (a Core insert of the whole batch)."""
        get = out.values.get
        if self.cat.detail_set is None:
            return [self.cat.institution_id, *map(get, people.BASIC_FIELDS), None, None, now, now]
        return [out.person_id, self.cat.institution_id, *(get(f.key) for f in self.cat.detail_set.fields), None, now]

    def build(self, out: Outcome):
        """Apply an update to the existing record (through the ORM: the audit log records the changed fields)."""
        obj = out.target
        fields = people.BASIC_FIELDS if self.cat.detail_set is None else [f.key for f in self.cat.detail_set.fields]
        for k in fields:
            if _normal(getattr(obj, k)) != _normal(out.values.get(k)):
                setattr(obj, k, out.values.get(k))
        return obj

