"""What an import file of each set holds (spec 4.2.2): its columns (`Column`, `columns`), the dropdown lists
(`Choice`: dictionaries, this institution's departments and posts, with the unambiguous aliases 男 → 男性 and old
ethnic names) and the `Catalogue` of one institution and set that the template, the reader and the row checks
share (with the department / post name lookups and the template version)."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select

from app.domain.errors import DomainError
from app.domain.person import LABELS
from app.extensions import db
from app.models.org import Department, Post
from app.services import dictionaries, people
from app.services.imports.cells import loose

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
YES_NO_NOTE = "选填，请从下拉列表中选择“是”或“否”"
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
        c("status", required=True, choice="staff_status", width=16,
          note=LIST_NOTE + "；离职、退休须通过“员工离职”办理，导入不能设置"),
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
        # 卫统信息 (卫生人力基本信息调查表), all optional
        c("office_phone", as_text=True, note="选填，如 027-87654321（数字和“-”）。" + TEXT_NOTE),
        c("specialties", width=20, note="选填，最多 3 项，用“、”分隔"),
        c("multisite", choice="yes_no", note=YES_NO_NOTE),
        c("multisite_unit2", choice="multisite_unit_type", width=18, note=LIST_NOTE + "；“是否多地点执业医师”为“是”时填写"),
        c("multisite_unit3", choice="multisite_unit_type", width=18, note=LIST_NOTE + "；“是否多地点执业医师”为“是”时填写"),
        c("resident_training", choice="yes_no", width=18, note=YES_NO_NOTE),
        c("resident_training_no", as_text=True, width=22, note="选填；获得证书（上一列为“是”）时填写。" + TEXT_NOTE),
        c("gp_registered", choice="yes_no", note=YES_NO_NOTE),
        c("gp_certificate", choice="gp_certificate", width=22, note=LIST_NOTE),
        c("village_posted", choice="yes_no", width=18, note=YES_NO_NOTE),
        c("stats_it", choice="yes_no", width=16, note=YES_NO_NOTE),
        c("stats_it_work", choice="stats_it_work", width=18, note=LIST_NOTE + "；“是否从事统计信息化业务工作”为“是”时填写"),
        c("nurse_certificate_no", as_text=True, width=22, note="选填。" + TEXT_NOTE),
        c("village_doctor_certificate_no", as_text=True, width=22, note="选填。" + TEXT_NOTE),
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


