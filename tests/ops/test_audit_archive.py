"""flask audit-archive (issue 17, retention): rows older than six months go to a gzip JSON-lines file and only then
leave the database; newer dates are refused; nothing is dropped silently."""
import datetime
import gzip
import json

from sqlalchemy import func, select

from app.models.audit import AuditLog
from app.services import audit_viewer


def _count(db):
    return db.session.scalar(select(func.count()).select_from(AuditLog))


def test_cutoff_is_six_calendar_months():
    assert audit_viewer.earliest_allowed_cutoff(datetime.date(2026, 12, 1)) == datetime.date(2026, 6, 1)
    assert audit_viewer.earliest_allowed_cutoff(datetime.date(2026, 3, 15)) == datetime.date(2025, 9, 15)
    assert audit_viewer.earliest_allowed_cutoff(datetime.date(2026, 8, 31)) == datetime.date(2026, 2, 28)


def test_archive_refuses_a_date_within_six_months(app, db, tmp_path):
    before = _count(db)
    recent = datetime.date.today() - datetime.timedelta(days=30)
    result = app.test_cli_runner().invoke(args=["audit-archive", "--before", f"{recent:%Y-%m-%d}",
                                                "--folder", str(tmp_path)])
    assert result.exit_code == 2
    assert "至少保留 6 个月" in result.output and "--before 不能晚于" in result.output
    assert _count(db) == before and list(tmp_path.iterdir()) == []


def test_archive_writes_then_deletes_the_old_rows_only(app, db, tmp_path):
    old = datetime.datetime.now() - datetime.timedelta(days=400)
    for n in range(3):
        db.session.add(AuditLog(at=old + datetime.timedelta(minutes=n), username="旧操作人", action="update",
                                entity="dict_item", entity_id=str(n), changes={"name": ["甲", f"乙{n}"]}))
    db.session.commit()
    kept = _count(db) - 3
    cutoff = datetime.date.today() - datetime.timedelta(days=300)
    result = app.test_cli_runner().invoke(args=["audit-archive", "--before", f"{cutoff:%Y-%m-%d}",
                                                "--folder", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "已归档 3 条操作日志" in result.output
    db.session.expire_all()
    assert _count(db) == kept
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.username == "旧操作人")) == 0
    (archive,) = tmp_path.iterdir()
    assert archive.name.endswith(".jsonl.gz")
    with gzip.open(archive, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    assert [r["changes"]["name"][1] for r in rows] == ["乙0", "乙1", "乙2"]
    assert {r["username"] for r in rows} == {"旧操作人"} and all(r["at"].startswith(f"{old:%Y-%m-%d}") for r in rows)
    # a second run finds nothing and writes nothing
    again = app.test_cli_runner().invoke(args=["audit-archive", "--before", f"{cutoff:%Y-%m-%d}",
                                               "--folder", str(tmp_path)])
    assert "没有操作日志" in again.output and len(list(tmp_path.iterdir())) == 1


def test_a_failed_write_deletes_nothing(app, db, tmp_path, monkeypatch):
    import pytest

    db.session.add(AuditLog(at=datetime.datetime(2020, 1, 1), username="旧操作人", action="create", entity="dict_item"))
    db.session.commit()
    before = _count(db)

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(audit_viewer.os, "fsync", broken)
    with app.app_context(), pytest.raises(OSError):
        audit_viewer.archive(datetime.date(2021, 1, 1), str(tmp_path))
    db.session.rollback()
    assert _count(db) == before and list(tmp_path.iterdir()) == []
