"""Export of a set in the template's form (current data, re-importable as is: same columns, lists and hidden
sheet; an open period is written as 至今). The hidden sheet also carries each record's version, so a re-import
with 更新 reports a row whose record changed after the export instead of overwriting it."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models.org import Institution
from app.models.people import Person
from app.services import dictionaries
from app.services.imports.columns import Catalogue
from app.services.imports.template import SheetRow, write_workbook
from app.services.people import DETAIL_SETS

CHUNK = 2000


def export_set(institution: Institution, set_key: str, show_id=None) -> bytes:
    """Every record of the set for the institution (all staff, any status), as .xlsx bytes. `show_id` turns a
    stored 证件号码 into what the downloading user may see (the views pass security.masking.shown_id)."""
    cat = Catalogue(institution, set_key)
    table = (Person if cat.detail_set is None else cat.detail_set.model).__table__
    versions = {pk: version for pk, version in db.session.execute(
        select(table.c.id, table.c.version).where(table.c.institution_id == cat.institution_id))}
    return write_workbook(cat, _rows(cat, show_id or (lambda number: number)), record_versions=versions)


def _display(cat: Catalogue, choice: str):
    """stored value → what the dropdown shows (a disabled dictionary value keeps its name; the import then says
    it is no longer in the list)."""
    shown = {stored: display for display, stored in cat.choices[choice].codes.items()}
    if choice != "staff_status":
        for d in dictionaries.items(choice, active_only=False):
            shown.setdefault(d.code, d.name)
    return shown


def _rows(cat: Catalogue, show_id):
    departments = {r.id: r.name for r in cat.departments}
    posts = {r.id: r.name for r in cat.posts}
    shows = {c.key: _display(cat, c.choice) for c in cat.columns
             if c.choice and c.choice not in ("institution", "departments", "posts")}
    if cat.detail_set is None:
        table = Person.__table__
        stmt = select(table).where(table.c.institution_id == cat.institution_id).order_by(table.c.id)
        for rec in db.session.execute(stmt.execution_options(yield_per=CHUNK)).mappings():
            cells = []
            for col in cat.columns:
                if col.key == "institution_name":
                    value = cat.institution_name
                elif col.key == "department_id":
                    value = departments.get(rec["department_id"])
                elif col.key == "post_id":
                    value = posts.get(rec["post_id"])
                elif col.key in shows:
                    value = rec[col.key]
                    value = shows[col.key].get(value, value) if value is not None else None
                elif col.key == "id_number":
                    value = show_id(rec["id_number"])
                else:
                    value = rec[col.key]
                cells.append(value)
            yield SheetRow(cells)
        return
    ds = DETAIL_SETS[cat.set_key]
    table = ds.model.__table__
    person = Person.__table__
    stmt = (select(table, person.c.name.label("_person_name"), person.c.id_number.label("_id_number"),
                   person.c.department_id.label("_department_id"))
            .join(person, person.c.id == table.c.person_id)
            .where(table.c.institution_id == cat.institution_id)
            .order_by(person.c.id, table.c.id))
    kinds = {f.key: f.kind for f in ds.fields}
    for rec in db.session.execute(stmt.execution_options(yield_per=CHUNK)).mappings():
        cells = []
        for col in cat.columns:
            if col.key == "institution_name":
                value = cat.institution_name
            elif col.key == "name":
                value = rec["_person_name"]
            elif col.key == "id_number":
                value = show_id(rec["_id_number"])
            elif col.key == "department":
                value = departments.get(rec["_department_id"])
            else:
                value = rec[col.key]
                if value is None and kinds.get(col.key) == "end_date":
                    value = "至今"
                elif value is not None and col.key in shows:
                    value = shows[col.key].get(value, value)
            cells.append(value)
        yield SheetRow(cells)
