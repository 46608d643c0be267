"""Catalogues kept as data (app/data/*.csv): the report indicators, the supply items. `sync_csv` inserts the rows not
yet in the table and updates the ones whose values changed, by their key; it never deletes, and an operator's 停用
(`active`) stays. Idempotent: `flask setup` runs it every time."""
import csv

from sqlalchemy import select

from app.extensions import db


def sync_csv(model, path: str, key: tuple[str, ...], values) -> int:
    """`values(row, order)` → the row's column values besides its key (order: its 1-based line in the file). Returns
    the rows inserted or changed; commits."""
    existing = {tuple(getattr(item, k) for k in key): item for item in db.session.scalars(select(model))}
    touched = 0
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for order, row in enumerate(csv.DictReader(fh), start=1):
            ident = tuple(row[k].strip() for k in key)
            wanted = values(row, order)
            item = existing.get(ident)
            if item is None:
                db.session.add(model(**dict(zip(key, ident, strict=True)), active=True, **wanted))
                touched += 1
            elif any(getattr(item, k) != v for k, v in wanted.items()):
                for k, v in wanted.items():
                    setattr(item, k, v)
                touched += 1
    db.session.commit()
    return touched
