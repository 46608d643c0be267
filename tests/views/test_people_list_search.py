"""人员信息管理 list (issue 11 item 4): sorting by its columns, 20/50/100 rows, partial 证件号码 (prefix, last 4 or
6 digits) through an index, and the mask rule for a clerk without 查看完整证件号."""
from sqlalchemy import text

from app.extensions import db as _db
from app.services import people
from tests.views.test_people_views import _body, _inst, _org, _person, _reader


def _rows(page):
    return page.count('data-person="')


def test_list_sorts_by_its_columns_and_offers_20_50_100_rows(db, login_as):
    inst = _inst(db)
    a, b = _org(db, inst, "阿科"), _org(db, inst, "中科")
    for i in range(60):
        _person(db, inst, 300 + i, dept=a if i % 2 else b, name=f"人{i:02d}", staff_no=f"{60 - i:03d}")
    c = login_as("inst_admin")
    page = _body(c.get("/people/list/"))
    assert _rows(page) == 20 and 'id="size"' in page and "sort=name" in page
    for size in (50, 100):
        assert _rows(_body(c.get(f"/people/list/?size={size}"))) == min(size, 60)
    assert _rows(_body(c.get("/people/list/?size=7"))) == 20  # not offered: the default
    by_name = _body(c.get("/people/list/?sort=name"))
    assert by_name.index("人00") < by_name.index("人01")
    by_name_desc = _body(c.get("/people/list/?sort=name&desc=1&size=100"))
    assert by_name_desc.index("人59") < by_name_desc.index("人58") < by_name_desc.index("人00")
    assert 'aria-sort="descending"' in by_name_desc
    by_dept = _body(c.get("/people/list/?sort=department_id&size=100"))
    names = [line for line in by_dept.split('data-person="')[1:]]
    departments = ["阿科" if "阿科" in row.split("</tr>")[0] else "中科" for row in names]
    assert departments == sorted(departments, key=lambda d: (d != departments[0])) and len(set(departments)) == 2
    # the chosen order and size survive paging
    second = _body(c.get("/people/list/?sort=name&size=50&page=2"))
    assert _rows(second) == 10 and "人50" in second and "sort=name" in second and "size=50" in second


def test_partial_id_number_finds_by_prefix_and_last_digits(db, login_as):
    inst = _inst(db)
    target = _person(db, inst, 401, name="目标")
    for i in range(402, 420):
        _person(db, inst, i)
    c = login_as("inst_admin")
    number = target.id_number
    for fragment in (number[-4:], number[-6:], number[:6], number[:10]):
        page = _body(c.get(f"/people/list/?q={fragment}"))
        assert "目标" in page, fragment
    assert _rows(_body(c.get(f"/people/list/?q={number[-6:]}"))) == 1


def test_without_the_full_id_right_only_the_shown_digits_are_searched(app, db, login_as):
    inst = _inst(db)
    target = _person(db, inst, 501, name="目标")
    _reader(app, db)
    reader = login_as("renshireader", "Good@Pw-2468")
    number = target.id_number
    page = _body(reader.get(f"/people/list/?q={number[-4:]}"))
    assert "目标" in page and number not in page  # shown digits: found, still masked
    page = _body(reader.get(f"/people/list/?q={number[-6:]}"))
    assert "目标" not in page and "只能按显示出的前 4 位、后 4 位或完整证件号码查找" in page
    assert "sort=id_number" not in page  # no ordering by the hidden digits either


def test_partial_id_search_uses_the_indexes(app, db):
    """The plan of the list's search: an index on every branch, never a scan of the person table."""
    inst = _inst(db)
    stmt, _ = people.list_statement(inst.id, text="420101", full_ids=True)
    compiled = stmt.compile(dialect=_db.engine.dialect, compile_kwargs={"literal_binds": True})
    if _db.engine.dialect.name == "sqlite":
        plan = " ".join(str(r[-1]) for r in _db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        assert "ix_person_inst_id_number (institution_id=? AND id_number>? AND id_number<?)" in plan, plan
        assert "COVERING INDEX ix_person_inst_id_tail (institution_id=? AND <expr>=?)" in plan, plan
        assert "SCAN person" not in plan, plan
    else:
        _db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = " ".join(r[0] for r in _db.session.execute(text(f"EXPLAIN {compiled}")))
        # a table of a few rows: the planner may reach the prefix through either (institution_id, …) index
        assert "Seq Scan" not in plan, plan
        assert "AND (substr((id_number)::text, (length((id_number)::text) - 3)) = '0101'" in plan, plan
