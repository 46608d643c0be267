"""附件批量导入 (spec 4.2.5): attachment images (JPG, at most 3 MB each) added to the latest entry of a detail set
(资格证书, 执业证书, 教育经历, 专业技术资格) of staff of one institution — one image dropped on a row, or a ZIP of images
named by 证件号码 (证件号码.jpg or 证件号码_序号.jpg).

Everything takes the caller's institution id: a person or entry of another institution is "not found", and ZIP
names are matched only against this institution's staff. Images go through `storage.save_upload` (content check,
metadata stripped, stored by hash); the entry's `attachments` list is replaced, never mutated, so the change is
flushed and audited. Each call that writes is one transaction (`@transactional`): a ZIP's images are committed
together once every file has its outcome.
"""
from __future__ import annotations

import datetime
import io
import re
import struct
import zipfile
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.domain.errors import DomainError, ValidationFailed
from app.domain.person import ACTIVE_STATUSES
from app.extensions import db
from app.models.people import Person
from app.services import people, storage
from app.services.transaction import transactional

SETS = ("qualification", "practice", "education", "title")
_DATE_OF = {"qualification": "obtained_on", "practice": "registered_on", "education": "end_date",
            "title": "obtained_on"}
UPLOADED, MISSING = "已上传", "未上传"
NO_RECORD = "无此类记录"  # no entry of the set: nothing can receive an upload, so not 未上传 (a filter of its own)
STATES = (MISSING, UPLOADED, NO_RECORD)
ZIP_MAX_BYTES = 30 * 1024 * 1024
ZIP_MAX_FILES = 500
ZIP_NAME = re.compile(r"^([0-9A-Za-z]{5,30})(?:[_＿-](\d{1,3}))?\.(jpe?g)$", re.IGNORECASE)


@dataclass
class Row:
    person: Person
    entry: object | None

    @property
    def images(self) -> list[dict]:
        return list(self.entry.attachments or []) if self.entry is not None else []

    @property
    def state(self) -> str:
        if self.entry is None:
            return NO_RECORD
        return UPLOADED if self.images else MISSING


@dataclass
class ZipOutcome:
    filename: str
    ok: bool
    message: str
    person_name: str = ""


def detail_set(set_key):
    if set_key not in SETS:
        raise DomainError("附件类别不存在")
    return people.DETAIL_SETS[set_key]


def labels() -> dict[str, str]:
    return {key: people.DETAIL_SETS[key].label for key in SETS}


def _latest(entries, set_key):
    """The entry a dropped image belongs to: the most recent by its date (then the last entered)."""
    date_key = _DATE_OF[set_key]
    return max(entries, key=lambda e: (getattr(e, date_key) or datetime.date.min, e.id), default=None)


def latest_entries(institution_id: int, set_key: str, person_ids=None) -> dict[int, object]:
    model = detail_set(set_key).model
    stmt = select(model).where(model.institution_id == institution_id)
    if person_ids is not None:
        stmt = stmt.where(model.person_id.in_(list(person_ids)))
    grouped: dict[int, list] = {}
    for entry in db.session.scalars(stmt):
        grouped.setdefault(entry.person_id, []).append(entry)
    return {pid: _latest(entries, set_key) for pid, entries in grouped.items()}


def rows(institution_id: int, set_key: str, *, department_ids=None, state: str = "", q: str = "",
         page: int = 1, per_page: int = 30) -> tuple[list[Row], int]:
    """Staff of the institution (optionally of some departments, matching a name or ID number) with the latest
    entry of the set, filtered by 上传状态 (未上传: an entry without images; 无此类记录: no entry at all); one
    page of them and how many match. The filter needs every entry of
    the set, so ids are read for all, full rows only for the page."""
    detail_set(set_key)
    stmt = select(Person.id).where(Person.institution_id == institution_id)
    if department_ids is not None:
        stmt = stmt.where(Person.department_id.in_(list(department_ids)))
    q = (q or "").strip()
    if q:
        stmt = stmt.where((Person.name.contains(q, autoescape=True)) | (Person.id_number == q.upper()))
    ids = list(db.session.scalars(stmt.order_by(Person.name, Person.id)))
    latest = latest_entries(institution_id, set_key)
    if state in STATES:
        ids = [pid for pid in ids if Row(None, latest.get(pid)).state == state]
    start = (max(page, 1) - 1) * per_page
    page_ids = ids[start:start + per_page]
    persons = {p.id: p for p in db.session.scalars(select(Person).options(joinedload(Person.department))
                                                   .where(Person.id.in_(page_ids)))} if page_ids else {}
    return [Row(persons[pid], latest.get(pid)) for pid in page_ids], len(ids)


def _person(institution_id: int, person_id) -> Person:
    person = db.session.get(Person, int(person_id)) if str(person_id).isdigit() else None
    if person is None or person.institution_id != institution_id:
        raise DomainError("人员不存在")
    return person


def person_of(institution_id: int, person_id) -> Person:
    """The person if they belong to the institution, else DomainError (the view answers 404)."""
    return _person(institution_id, person_id)


def row_of(institution_id: int, person_id, set_key: str) -> Row:
    person = _person(institution_id, person_id)
    return Row(person, latest_entries(institution_id, set_key, [person.id]).get(person.id))


def _no_entry(person, label) -> DomainError:
    return DomainError(f"{person.name}还没有{label}记录，请先在“人员信息管理”中录入或批量导入{label}，再上传附件")


def _store(entry, data, label, filename) -> bool:
    """Add the image to the entry (not committed); False when that very image is already there."""
    stored = storage.save_upload(data, field_label=f"{label}附件", kinds={"jpeg"}, max_bytes=storage.IMAGE_MAX,
                                 filename=filename)
    existing = list(entry.attachments or [])
    if any(item.get("path") == stored.path for item in existing):
        return False
    entry.attachments = existing + [{"path": stored.path, "thumb": stored.thumb_path,
                                     "filename": stored.original_filename}]
    return True


@transactional
def attach(institution_id: int, person_id, set_key: str, upload, filename: str = "") -> Row:
    """One image dropped on a person's row: added to their latest entry of the set (committed when it returns)."""
    ds = detail_set(set_key)
    row = row_of(institution_id, person_id, set_key)
    if row.entry is None:
        raise _no_entry(row.person, ds.label)
    if not _store(row.entry, upload, ds.label, filename):
        raise DomainError("这张图片已经上传过了")
    return row


@transactional
def remove(institution_id: int, person_id, set_key: str, entry_id, index) -> Row:
    """Delete one image of one of the person's entries."""
    ds = detail_set(set_key)
    person = _person(institution_id, person_id)
    entry = db.session.get(ds.model, int(entry_id)) if str(entry_id).isdigit() else None
    if entry is None or entry.person_id != person.id or entry.institution_id != institution_id:
        raise DomainError("附件不存在")
    files = list(entry.attachments or [])
    try:
        index = int(index)
    except (TypeError, ValueError):
        index = -1
    if not 0 <= index < len(files):
        raise DomainError("附件不存在")
    del files[index]
    entry.attachments = files
    return row_of(institution_id, person.id, set_key)


def image_path(institution_id: int, person_id, set_key: str, entry_id: int, index: int, thumb: bool) -> str:
    """The stored path of one image of the person's entry (scoped), for serving."""
    ds = detail_set(set_key)
    person = _person(institution_id, person_id)
    entry = db.session.get(ds.model, entry_id)
    if entry is None or entry.person_id != person.id or entry.institution_id != institution_id:
        raise DomainError("附件不存在")
    files = entry.attachments or []
    if not 0 <= index < len(files):
        raise DomainError("附件不存在")
    item = files[index]
    return item.get("thumb") if thumb and item.get("thumb") else item["path"]


def _display_name(info: zipfile.ZipInfo) -> str:
    """The member's base name; names written by Chinese Windows tools are GBK without the UTF-8 flag."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("gbk")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return re.split(r"[\\/]", name)[-1]


def _declared_entries(data: bytes) -> int | None:
    """The number of members the ZIP's end record declares (65535 for ZIP64: more than we take), or None when
    there is no end record (not a ZIP)."""
    pos = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if pos < 0 or len(data) < pos + 22:
        return None
    return struct.unpack("<H", data[pos + 10:pos + 12])[0]


def _archive(message: str) -> ValidationFailed:
    """A ZIP refused as a whole: the message belongs next to the page's archive input."""
    return ValidationFailed([("archive", message)])


@transactional
def attach_zip(institution_id: int, set_key: str, source) -> list[ZipOutcome]:
    """A ZIP of JPG images named 证件号码.jpg / 证件号码_序号.jpg: each added to the latest entry of that person.
    Refused as a whole (DomainError) when it is not a ZIP or is too large once unpacked; otherwise one outcome per
    file. Sizes are checked before anything is unpacked, and every member is read with a limit."""
    ds = detail_set(set_key)
    data = source.read(ZIP_MAX_BYTES + 1) if hasattr(source, "read") else bytes(source[:ZIP_MAX_BYTES + 1])
    if not data:
        raise _archive("请选择 ZIP 压缩包")
    if len(data) > ZIP_MAX_BYTES:
        raise _archive(f"压缩包超过 {ZIP_MAX_BYTES // 1024 // 1024} MB 上限，请分成几个压缩包上传")
    declared = _declared_entries(data)
    if declared is None:
        raise _archive("上传的文件不是有效的 ZIP 压缩包")
    if declared > ZIP_MAX_FILES * 2:  # refused before zipfile reads a huge central directory
        raise _archive(f"压缩包里的文件太多，一次最多 {ZIP_MAX_FILES} 个，请分成几个压缩包上传")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise _archive("上传的文件不是有效的 ZIP 压缩包") from None
    members = [i for i in members if not _display_name(i).startswith((".", "__MACOSX"))
               and "__MACOSX/" not in i.filename]
    if not members:
        raise _archive("压缩包里没有图片")
    if len(members) > ZIP_MAX_FILES:
        raise _archive(f"压缩包里有 {len(members)} 个文件，一次最多 {ZIP_MAX_FILES} 个，请分成几个压缩包上传")
    unpacked_limit = current_app.config.get("IMPORT_MAX_UNCOMPRESSED", 200 * 1024 * 1024)
    if sum(i.file_size for i in members) > unpacked_limit:
        raise _archive(f"压缩包解压后超过 {unpacked_limit // 1024 // 1024} MB 上限，请分成几个压缩包上传")

    parsed = []
    outcomes: list[ZipOutcome] = []
    for info in members:
        name = _display_name(info)
        match = ZIP_NAME.match(name)
        if not match:
            outcomes.append(ZipOutcome(name, False, "文件名须为“证件号码.jpg”或“证件号码_序号.jpg”，且只接受 JPG 图片"))
            continue
        parsed.append((match.group(1).upper(), int(match.group(2) or 0), name, info))
    numbers = {number for number, *_ in parsed}
    staff: dict[str, Person] = {}
    if numbers:
        for person in db.session.scalars(select(Person).where(Person.institution_id == institution_id,
                                                               Person.id_number.in_(numbers))):
            current = staff.get(person.id_number)
            # The same number twice in one institution: the active record wins, then the newest.
            if current is None or (person.status in ACTIVE_STATUSES, person.id) > (
                    current.status in ACTIVE_STATUSES, current.id):
                staff[person.id_number] = person
    latest = latest_entries(institution_id, set_key, [p.id for p in staff.values()])
    read_total = 0
    for number, _seq, name, info in sorted(parsed, key=lambda t: (t[0], t[1], t[2])):
        person = staff.get(number)
        if person is None:
            outcomes.append(ZipOutcome(name, False, "本机构没有这个证件号码的人员"))
            continue
        entry = latest.get(person.id)
        if entry is None:
            outcomes.append(ZipOutcome(name, False, _no_entry(person, ds.label).message, person.name))
            continue
        if info.flag_bits & 0x1:
            outcomes.append(ZipOutcome(name, False, "图片已加密，无法读取", person.name))
            continue
        if info.file_size > storage.IMAGE_MAX:
            outcomes.append(ZipOutcome(name, False, "图片超过 3 MB 上限", person.name))
            continue
        try:
            with archive.open(info) as member:
                content = member.read(storage.IMAGE_MAX + 1)  # never trust the declared size
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
            outcomes.append(ZipOutcome(name, False, "图片在压缩包中已损坏，无法读取", person.name))
            continue
        read_total += len(content)
        if read_total > unpacked_limit:
            outcomes.append(ZipOutcome(name, False, "压缩包解压后超过上限，后面的图片未处理", person.name))
            break
        try:
            added = _store(entry, content, ds.label, name)
        except DomainError as exc:
            outcomes.append(ZipOutcome(name, False, exc.message, person.name))
            continue
        outcomes.append(ZipOutcome(name, True, "已上传" if added else "这张图片已经上传过了，未重复添加", person.name))
    return sorted(outcomes, key=lambda o: (o.ok, o.filename))
