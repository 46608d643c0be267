"""A moving person's earlier records (spec 4.4, issue 13): when an institution enters a person whose ID number has
former (non-active) records in other institutions, it is offered their detail entries (教育经历, 资格证书, 执业证书,
专业技术资格, 培训经历, 工作经历) and a 工作经历 entry for each old institution, to copy instead of retyping.

Only records with the same ID number are read, and only what is offered is shown: the entries' own fields, the old
institution's name and the dates of the employment — never the old record's other data. Copying writes new entries
of the new person; the old institution's records stay as they are. Attachments are copied by reference: the
stored files are content-addressed and never rewritten (services/storage.py), so the new entry lists the same
path and thumbnail.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from app.domain.errors import DomainError, ValidationFailed
from app.domain.person import ACTIVE_STATUSES
from app.extensions import db
from app.models.movements import Resignation
from app.models.people import Person
from app.services import people
from app.services.transaction import transactional

APPROVED = "已通过"
EMPLOYMENT = "employment"  # the key of the offered 工作经历 entry built from an old institution's record
ORDER = ("work", "education", "title", "qualification", "practice", "training")


@dataclass
class Offer:
    """One entry that may be copied: `key` is what the form sends back ("education:12", "employment:7")."""

    key: str
    set_key: str
    values: dict
    attachments: list = field(default_factory=list)
    source: str = ""  # the old institution's name
    duplicate: bool = False  # the new person already has an entry with the same natural key

    @property
    def label(self) -> str:
        return people.DETAIL_SETS[self.set_key].label


def former_records(person: Person) -> list[Person]:
    """The non-active records of other institutions with this person's ID number (the only ones read)."""
    if not person.id_number:
        return []
    return list(db.session.scalars(
        select(Person).where(Person.id_number == person.id_number, Person.institution_id != person.institution_id,
                             Person.status.not_in(ACTIVE_STATUSES)).order_by(Person.created_at, Person.id)))


def _resignation(old: Person) -> Resignation | None:
    return db.session.scalar(select(Resignation).where(Resignation.person_id == old.id, Resignation.status == APPROVED)
                             .order_by(Resignation.leave_date.desc(), Resignation.id.desc()).limit(1))


def employment_values(old: Person) -> dict | None:
    """The 工作经历 of the person at the old institution: from the old record's 参加工作日期 (else the day it was
    entered) to the approved resignation's 离职时间 (else the day the record last changed, i.e. left the active
    set); 职务/岗位 the old post."""
    start = old.work_start or (old.created_at.date() if old.created_at else None)
    resignation = _resignation(old)
    end = resignation.leave_date if resignation else (old.updated_at.date() if old.updated_at else None)
    if start is None:
        return None
    if end is not None and end < start:
        start = end
    return {"start_date": start, "end_date": end, "employer": old.institution.name,
            "position": old.post.name if old.post is not None else None}


def offers(person: Person) -> list[Offer]:
    """What may be copied to `person` from its former records elsewhere, set by set (ORDER)."""
    found = []
    for old in former_records(person):
        source = old.institution.name
        work = employment_values(old)
        if work is not None:
            found.append(Offer(f"{EMPLOYMENT}:{old.id}", "work", work, source=source))
        for set_key in ORDER:
            detail_set = people.DETAIL_SETS[set_key]
            for entry in getattr(old, detail_set.relation):
                values = {f.key: getattr(entry, f.key) for f in detail_set.fields}
                found.append(Offer(f"{set_key}:{entry.id}", set_key, values, list(entry.attachments or []), source))
    for offer in found:
        offer.duplicate = people.duplicate_entry(person, people.DETAIL_SETS[offer.set_key], offer.values) is not None
    found.sort(key=lambda o: ORDER.index(o.set_key))
    return found


def has_offers(person: Person) -> bool:
    return bool(former_records(person))


@transactional
def copy(person: Person, keys) -> int:
    """Copy the chosen offers (`keys`, as `Offer.key`) to `person`; entries it already has are left out. Returns
    the number of entries written. A key that is not among the person's offers is refused (nothing written)."""
    available = {o.key: o for o in offers(person)}
    keys = list(dict.fromkeys(k for k in keys if k))
    if not keys:
        raise ValidationFailed([("keys", "请勾选要复制的记录")])
    unknown = [k for k in keys if k not in available]
    if unknown:
        raise DomainError("所选记录不存在，或不属于该人员的以往记录")
    written = 0
    for key in keys:
        offer = available[key]
        detail_set = people.DETAIL_SETS[offer.set_key]
        if people.duplicate_entry(person, detail_set, offer.values) is not None:  # also one copied just now
            continue
        model = detail_set.model
        entry = model(person_id=person.id, institution_id=person.institution_id, **offer.values)
        entry.attachments = [dict(a) for a in offer.attachments]  # the same stored files, by reference
        db.session.add(entry)
        written += 1
    return written

