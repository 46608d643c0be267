"""Columns of each import set and the validation of one row (spec 4.2.2, 4.2.4).

The rules are those of the single-entry forms: 基本信息 goes through `domain.person.check_basic` plus
`check_person_batched` (the database part of `services.people.check_person`, fed with maps prefetched once per
batch instead of one query per row, same messages); detail entries go through `services.people.check_detail`.
What is added here is only what a spreadsheet needs: dropdown names → codes (with the unambiguous aliases 男 → 男性
and old ethnic names, accepted with a warning), department / post names → ids with a suggestion on a near miss,
机构名称, matching 姓名 + 证件号码 to a person, duplicates inside the file and the natural key of each set.
"""
from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import String, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY

from app.domain.errors import DomainError
from app.domain.person import ACTIVE_STATUSES, LABELS, Checked, FieldIssue, check_basic, village_status_problem
from app.extensions import db
from app.models.audit import AuditLog
from app.models.org import Department, Post
from app.models.people import Person
from app.services import concurrency, dictionaries, people

BASIC = "basic"
SETS = {BASIC: "基本信息", **{key: s.label for key, s in people.DETAIL_SETS.items()}}
# Natural key of an entry (besides the person, found by 证件号码): re-running a file never duplicates.
NATURAL_KEYS = {BASIC: ("id_number",), **{key: s.natural_key for key, s in people.DETAIL_SETS.items()}}
TEMPLATE_FORMAT = 1  # bump when the layout of the workbook changes: older templates are then refused
INSTITUTION_LABEL = "机构名称"
DATE_NOTE = "日期可填写 2020-09-01 或 2020-09（自动补为 01 日），也可以是 Excel 的日期单元格"
UNTIL_NOW_NOTE = "；仍在进行中（或长期有效）的填写汉字“至今”"
TEXT_NOTE = "本列已设为文本格式：请直接输入或粘贴为文本，不要让 Excel 改成 4.2E+17 这样的科学计数法"
LIST_NOTE = "请从下拉列表中选择，不能填写其他内容"
SKIPPED_MESSAGE = "已存在（未勾选更新已存在数据）"


@dataclass(frozen=True)
class Column:
    """One column of a template: `key` is the field it fills, `choice` the dropdown list it offers."""

    key: str
    label: str
    required: bool = False
    kind: str = "text"  # text | date | end_date
    choice: str | None = None
    as_text: bool = False  # formatted as text in the workbook (ID, phone, certificate numbers)
    note: str = ""
    width: int = 14

    @property
    def header(self) -> str:
        return ("*" if self.required else "") + self.label


def _basic_columns() -> tuple[Column, ...]:
    def c(key, **kw):
        return Column(key, LABELS[key], **kw)

    return (
        Column("institution_name", INSTITUTION_LABEL, True, choice="institution", width=28,
               note="须与登录机构名称完全一致（登录后右上角显示的名称）"),
        c("staff_no", as_text=True, note="选填，不超过 30 位"),
        c("name", required=True, note="必填，不超过 50 个字"),
        c("id_type", required=True, choice="id_types", width=16, note=LIST_NOTE),
        c("id_number", required=True, as_text=True, width=22, note="必填。" + TEXT_NOTE),
        c("sex", choice="sex", note="证件为居民身份证时可不填，系统按证件号码第 17 位识别；填写时须与证件号码一致"),
        c("birth_date", kind="date", width=12,
          note="证件为居民身份证时可不填，系统按证件号码识别。" + DATE_NOTE),
        c("ethnicity", choice="ethnicity", note=LIST_NOTE),
        c("political", choice="political_status", width=18, note=LIST_NOTE),
        c("phone", as_text=True, note="11 位手机号码，以 13–19 开头。" + TEXT_NOTE),
        c("work_start", kind="date", width=12, note=DATE_NOTE + "；须在出生满 14 周岁之后"),
        c("department_id", required=True, choice="departments", width=18,
          note="须与“部门管理”中维护的名称完全一致（包括标点、空格、罗马数字），请从下拉列表中选择"),
        c("post_id", choice="posts", width=16, note="本机构“岗位管理”中的岗位，请从下拉列表中选择"),
        c("status", required=True, choice="staff_status", width=16, note=LIST_NOTE),
        c("staff_category", choice="staff_category", width=16, note=LIST_NOTE),
        c("establishment", choice="establishment", note=LIST_NOTE),
        c("education", choice="education", width=22, note=LIST_NOTE),
        c("major", note="学历为大专及以上时必填"),
        c("degree", choice="degree", note=LIST_NOTE),
        c("tech_title", choice="tech_title_level", width=16, note=LIST_NOTE),
        c("tech_post", choice="tech_title_level", width=16, note=LIST_NOTE),
        c("practice_category", choice="practice_category", note=LIST_NOTE),
        c("practice_scope", choice="practice_scope", width=20, note=LIST_NOTE),
        c("admin_post", choice="admin_post", width=18, note=LIST_NOTE),
    )


def _detail_columns(detail_set) -> tuple[Column, ...]:
    cols = [
        Column("institution_name", INSTITUTION_LABEL, True, choice="institution", width=28,
               note="须与登录机构名称完全一致（登录后右上角显示的名称）"),
        Column("name", "姓名", True, note="须与此人基本信息中的姓名完全一致"),
        Column("id_number", "证件号码", True, as_text=True, width=22,
               note="须与此人基本信息中的证件号码完全一致。" + TEXT_NOTE),
        Column("department", "所在部门", choice="departments", width=18,
               note="选填；填写时须与此人基本信息中的所在科室完全一致"),
    ]
    for f in detail_set.fields:
        if f.kind in ("date", "end_date"):
            note = DATE_NOTE + (UNTIL_NOW_NOTE if f.kind == "end_date" else "")
            cols.append(Column(f.key, f.label, f.required, kind=f.kind, width=12, note=note))
        elif f.kind.startswith("code:"):
            cols.append(Column(f.key, f.label, f.required, choice=f.kind[5:], width=18, note=LIST_NOTE))
        else:
            is_number = "certificate_no" in f.key
            note = (TEXT_NOTE if is_number else "") or f"不超过 {f.limit} 个字"
            cols.append(Column(f.key, f.label, f.required, as_text=is_number, width=22 if is_number else 16,
                               note=("必填。" if f.required else "") + note))
    return tuple(cols)


def columns(set_key: str) -> tuple[Column, ...]:
    if set_key == BASIC:
        return _basic_columns()
    return _detail_columns(people.DETAIL_SETS[set_key])


# ---- cell values -------------------------------------------------------------------------------------------------

def _scientific(value: float) -> str:
    """How Excel shows a long number in a General cell (4.20115E+17): the domain rule recognises it."""
    mantissa, exponent = f"{value:.5E}".split("E")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}E{'+' if int(exponent) >= 0 else '-'}{abs(int(exponent))}"


def cell_text(value) -> str | None:
    """A cell as text: numbers without a spurious .0, long numbers as Excel displays them, dates as YYYY-MM-DD."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value)) if abs(value) < 1e15 else _scientific(value)
        return repr(value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == datetime.time() else value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip() or None


def cell_date(value):
    """A date column: a real Excel date cell is taken as is, anything else as text for parse_date."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return cell_text(value)


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def loose(text: str) -> str:
    """For near-miss suggestions only: full/half width, Roman numerals (Ⅱ → II), spaces and case folded."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


# ---- dropdown lists ----------------------------------------------------------------------------------------------

class Alias(NamedTuple):
    stored: str
    display: str
    old_name: bool


class Choice:
    """One dropdown list: what the template offers and how a typed value maps to the stored one."""

    def __init__(self, key: str, entries, aliases=None):
        self.key = key
        self.values = [display for display, _ in entries]
        self.codes = dict(entries)
        self.aliases = {a: v for a, v in (aliases or {}).items() if a not in self.codes}
        self._loose = {}
        for display in self.values:
            self._loose.setdefault(loose(display), []).append(display)

    def resolve(self, typed: str, label: str):
        """(stored value or None, warning or None)."""
        if typed in self.codes:
            return self.codes[typed], None
        alias = self.aliases.get(typed)
        if alias is not None:
            how = "是旧名称，" if alias.old_name else ""
            return alias.stored, f"{label}“{typed}”{how}已按“{alias.display}”导入"
        return None, None

    def suggest(self, typed: str) -> str | None:
        found = self._loose.get(loose(typed), [])
        return found[0] if len(found) == 1 and found[0] != typed else None


_OLD_NAME_RE = re.compile(r"旧(?:名|写法)[“\"]?([^\s“”\"()（）;；,，]+)")


def _dictionary_choice(dtype: str) -> Choice:
    rows = dictionaries.items(dtype)
    counts = {}
    for d in rows:
        counts[d.name] = counts.get(d.name, 0) + 1
    entries = [((d.name if counts[d.name] == 1 else f"{d.name}（{d.code}）"), d.code) for d in rows]
    display = {code: shown for shown, code in entries}
    aliases = {}
    by_short = {}
    for d in rows:
        extra = d.extra or {}
        short = (extra.get("short") or "").strip()
        if short and "罕用" not in (extra.get("note") or ""):
            by_short.setdefault(short, []).append(d.code)
        for old in _OLD_NAME_RE.findall(extra.get("note") or ""):
            aliases[old] = Alias(d.code, display[d.code], True)
    for short, codes in by_short.items():
        if len(codes) == 1:  # unambiguous only: 男 → 男性 (女性改(变)为男性 is marked 罕用)
            aliases.setdefault(short, Alias(codes[0], display[codes[0]], False))
    return Choice(dtype, entries, aliases)


class Ref(NamedTuple):
    """A department or post as the checks need it (plain data: it survives the commits between batches)."""

    id: int
    name: str
    active: bool
    institution_id: int
    category: str | None


class Catalogue:
    """Everything the template, the reader and the row checks of one institution and set share: columns,
    dropdown lists (live dictionaries, this institution's departments and posts) and the template version."""

    def __init__(self, institution, set_key: str):
        if set_key not in SETS:
            raise DomainError(f"没有“{set_key}”这类信息，可选的有：" + "、".join(SETS.values()))
        from app.services import departments, posts

        self.institution = institution
        self.institution_id = institution.id
        self.institution_name = institution.name
        self.institution_code = institution.code
        self.set_key = set_key
        self.label = SETS[set_key]
        self.detail_set = people.DETAIL_SETS.get(set_key)
        self.columns = columns(set_key)
        self.natural_key = NATURAL_KEYS[set_key]
        self.departments = [Ref(d.id, d.name, bool(d.active), d.institution_id, d.category) for d in db.session.scalars(
            select(Department).where(Department.institution_id == institution.id).order_by(Department.seq, Department.id))]
        choices = {"institution": Choice("institution", [(institution.name, institution.name)]),
                   "departments": Choice("departments", [(n, n) for n in departments.department_names(institution.id)])}
        self.posts = []
        self.rules = None
        if set_key == BASIC:
            self.rules = people.lookups()
            self.posts = [Ref(p.id, p.name, bool(p.active), p.institution_id, p.category) for p in db.session.scalars(
                select(Post).where(Post.institution_id == institution.id).order_by(Post.id))]
            choices["posts"] = Choice("posts", [(n, n) for n in posts.post_names(institution.id)])
            choices["id_types"] = Choice("id_types", [(d.name, d.code) for d in dictionaries.items("id_types")])
            choices["staff_status"] = Choice("staff_status", [(n, n) for n in self.rules["statuses"]])
        for col in self.columns:
            if col.choice and col.choice not in choices:
                choices[col.choice] = _dictionary_choice(col.choice)
        self.choices = choices
        self._by_name = {}
        for ref in sorted(self.departments, key=lambda r: not r.active):
            self._by_name.setdefault(ref.name, []).append(ref)
        self._loose_departments = [(r.name, loose(r.name)) for r in self.departments]
        self._department_cache, self._post_cache = {}, {}
        self._posts_by_name = {}
        for ref in sorted(self.posts, key=lambda r: not r.active):
            self._posts_by_name.setdefault(ref.name, ref)

    # -- template version ------------------------------------------------------------------------------------------

    def lists(self) -> dict[str, list[str]]:
        """The lists a template carries, in column order (the key of each list is its `Choice` key)."""
        out = {}
        for col in self.columns:
            if col.choice and col.choice not in out:
                out[col.choice] = list(self.choices[col.choice].values)
        return out

    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def version(self) -> str:
        """A hash of the columns and the lists: a template downloaded before any of them changed is refused."""
        payload = json.dumps({"format": TEMPLATE_FORMAT, "set": self.set_key, "columns": self.headers(),
                              "lists": self.lists()}, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    # -- name lookups ----------------------------------------------------------------------------------------------

    def department_problem(self, typed: str, label: str) -> str:
        """Why a typed department name matches no department, with the right name on a near miss."""
        hint = "须与“部门管理”中维护的名称完全一致，包括标点、空格、罗马数字"
        wanted = loose(typed)
        near = list(dict.fromkeys(name for name, folded in self._loose_departments if folded == wanted))
        if len(near) == 1:
            return f"{label}“{typed}”与本机构的部门名称不完全一致，应为“{near[0]}”：{hint}"
        return f"{label}“{typed}”不是本机构的部门：{hint}，请从下拉列表中选择"

    def department_by_name(self, typed: str, label: str):
        """(Ref or None, error or None). Two departments with the same name under different parents: ambiguous."""
        key = (typed, label)
        if key not in self._department_cache:  # a file repeats the same few names thousands of times
            self._department_cache[key] = self._department_by_name(typed, label)
        return self._department_cache[key]

    def _department_by_name(self, typed: str, label: str):
        found = self._by_name.get(typed, [])
        if not found:
            return None, self.department_problem(typed, label)
        active = [r for r in found if r.active] or found
        if len(active) > 1:
            return None, (f"{label}“{typed}”在本机构有 {len(active)} 个同名部门，无法确定是哪一个："
                          "请在“部门管理”中把名称改为不同的名称后重新下载模板")
        return active[0], None

    def post_by_name(self, typed: str):
        if typed not in self._post_cache:
            self._post_cache[typed] = self._post_by_name(typed)
        return self._post_cache[typed]

    def _post_by_name(self, typed: str):
        found = self._posts_by_name.get(typed)
        if found:
            return found, None
        label = LABELS["post_id"]
        near = list(dict.fromkeys(p.name for p in self.posts if loose(p.name) == loose(typed)))
        if len(near) == 1:
            return None, f"{label}“{typed}”与本机构的岗位名称不完全一致，应为“{near[0]}”"
        return None, f"{label}“{typed}”不是本机构的岗位，请从下拉列表中选择（岗位在“岗位管理”中维护）"


# ---- the rules of 基本信息, batched ------------------------------------------------------------------------------

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


def check_person_batched(institution_id: int, raw: dict, person, rules: dict, refs: dict, holders: dict,
                         stripped: bool = False, today=None) -> Checked:
    """`services.people.check_person` without a query per row: `refs` maps "department_id" / "post_id" to
    {id: Ref} of the institution (prefetched once), `holders` id number → active holder (`prefetch_people`).
    Same rules, same messages (a test compares the two on the same inputs)."""
    checked = check_basic(raw, stripped=stripped, today=today, **rules)
    values = checked.values
    for key, label in (("department_id", "所在科室"), ("post_id", "岗位")):
        ref = values.get(key)
        if ref in (None, ""):
            values[key] = None
            continue
        row = refs[key].get(int(ref)) if str(ref).isdigit() else None
        if row is None or row.institution_id != institution_id:
            checked.errors.append(FieldIssue(key, f"{label}须从本机构的{label}中选择"))
        elif not row.active and (person is None or getattr(person, key) != row.id):
            checked.errors.append(FieldIssue(key, f"{label}“{row.name}”已停用，请选择其他{label}"))
        else:
            values[key] = row.id
    department = refs["department_id"].get(values["department_id"]) if values.get("department_id") else None
    village = department and village_status_problem(department.category, department.name, values.get("status"))
    if village:
        checked.errors.append(village)
    number = values.get("id_number")
    if number and values.get("status") in ACTIVE_STATUSES and not any(e.field == "id_number" for e in checked.errors):
        holder = holders.get(number)
        if holder is not None and (person is None or holder.id != person.id):
            checked.errors.append(FieldIssue("id_number", people.holder_message(holder)))
    return checked


# ---- one row -----------------------------------------------------------------------------------------------------

@dataclass(slots=True)  # one per row of a file: slots make them cheaper to create and read
class SourceRow:
    number: int  # the row number in the user's sheet
    cells: list  # values as read, in the order of the template's columns


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
        today = datetime.date.today()
        outcomes = []
        for out, raw, pre_errors in parsed:
            number = (raw.get("id_number") or "").upper()
            person = existing.get(number)
            # stripped: _parse_basic has stripped every text and turned blanks into None
            checked = check_person_batched(self.cat.institution_id, raw, person, self.cat.rules, self.refs, holders,
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
