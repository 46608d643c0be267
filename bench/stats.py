"""Benchmark of 常用统计 (spec 6.1, issue 16) at province scale: prints figures, asserts nothing.

Builds a database with --people staff (default 500,000) over --institutions synthetic institutions (default 3,000,
spread over the demo's counties, 5 departments each), every coded field of the statistics filled with a plausible
spread (some left empty: 未填), ~5 % no longer in post (离职/退休, with an approved resignation). Then measures the
median / p90 of `services.stats.count` — one dimension (学历) and two (学历 × 年龄段), and the two with a date
filter (在岗 on a day: the resignations are read) — for a province account (湖北省, every institution), a county
account (江夏区) and one institution's account. Targets (issue 16): PostgreSQL ≤ 300 ms for the province and ≤ 50 ms
for one institution; SQLite ≤ 1 s for the province.

    .venv/bin/python bench/stats.py                       # SQLite file under $TMPDIR/hr-bench
    .venv/bin/python bench/stats.py --reuse               # keep the data of an earlier run
    .venv/bin/python bench/stats.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_stats --drop
    .venv/bin/python bench/stats.py --people 100000 --institutions 600   # a smaller set

`--index "cols"` creates a candidate index on person first (e.g. "status,institution_id,education,birth_date"), to
compare; `--drop` drops the PostgreSQL database (deletes the SQLite file) afterwards. See docs/benchmarks.md.
"""
import argparse
import datetime
import os
import random
import statistics
import sys
import tempfile
import time
from types import SimpleNamespace

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench.emergency import _institutions  # noqa: E402
from bench.people import drop_database, make_app, prepare_database  # noqa: E402

BATCH = 5000
DEPARTMENTS = ("内科", "外科", "妇产科", "护理部", "办公室")
CASES = (("学历", "education", None, False), ("学历 × 年龄段", "education", "age_band", False),
         ("学历 × 年龄段，某日在岗", "education", "age_band", True), ("所在科室（按名称/按科室）", "department", None, False),
         ("从事专业类别分组 × 性别", "staff_group", "sex", False))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="常用统计基准测试（打印数据，不做断言）")
    p.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "hr-bench"), help="工作目录")
    p.add_argument("--database-url", default=None, help="数据库地址，默认 <dir>/stats.db")
    p.add_argument("--people", type=int, default=500_000, help="人员总数（默认 500000）")
    p.add_argument("--institutions", type=int, default=3000, help="机构数（默认 3000）")
    p.add_argument("--runs", type=int, default=10, help="每项计时次数（默认 10）")
    p.add_argument("--reuse", action="store_true", help="数据已存在时不重建")
    p.add_argument("--drop", action="store_true", help="测完删除基准数据库")
    p.add_argument("--scatter", action="store_true",
                   help="人员轮流分配到各机构（同一机构的人员分散在整张表中：最坏情况）；默认按机构成批插入")
    p.add_argument("--index", default="", help="先建的候选索引（person 的列），如 status,institution_id,education")
    return p.parse_args(argv)


def _weighted(rng, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def build(args):
    """setup --demo, synthetic institutions with departments, staff by Core inserts, resignations of the leavers."""
    from sqlalchemy import func, insert, select, text

    from app.cli import run_setup
    from app.extensions import db
    from app.models.movements import Resignation
    from app.models.org import Department
    from app.models.people import Person
    from app.services.seed import GIVEN, SURNAMES

    started = time.perf_counter()
    run_setup(demo=True, font=False)
    first_inst = _institutions(args.institutions)
    inst_ids = list(range(first_inst, first_inst + args.institutions))
    dept_id = (db.session.scalar(select(func.max(Department.id))) or 0) + 1
    depts, dept_rows = {}, []
    for inst_id in inst_ids:
        depts[inst_id] = list(range(dept_id, dept_id + len(DEPARTMENTS)))
        for seq, name in enumerate(DEPARTMENTS, start=1):
            dept_rows.append({"id": dept_id, "institution_id": inst_id, "parent_id": None, "name": name,
                              "category": "职能部门" if name in ("办公室", "护理部") else "科室(部门)", "seq": seq,
                              "active": True, "version": 1})
            dept_id += 1
    for i in range(0, len(dept_rows), BATCH):
        db.session.execute(insert(Department), dept_rows[i:i + BATCH])
    db.session.commit()
    print(f"setup --demo, {args.institutions} 个机构、{len(dept_rows)} 个科室：{time.perf_counter() - started:.1f} s",
          flush=True)

    started = time.perf_counter()
    rng = random.Random(16)
    today = datetime.date.today()
    now = datetime.datetime.now()
    person_id = (db.session.scalar(select(func.max(Person.id))) or 0) + 1
    resignation_id = (db.session.scalar(select(func.max(Resignation.id))) or 0) + 1
    batch, leavers, total = [], [], 0
    categories = (("11", 22), ("12", 6), ("21", 30), ("22", 3), ("31", 4), ("41", 4), ("60", 8), ("69", 3),
                  ("70", 4), ("80", 8), ("90", 6), (None, 2))
    with db.engine.begin() as conn:
        for n in range(args.people):
            # each institution's staff together (as entered or imported); --scatter: round robin, the worst case
            inst_id = inst_ids[n % len(inst_ids)] if args.scatter else inst_ids[n * len(inst_ids) // args.people]
            age = rng.triangular(20, 62, 38)
            birth = today - datetime.timedelta(days=int(age * 365.25))
            status = _weighted(rng, (("在岗", 93), ("借调", 1), ("长期病休", 1), ("离职", 3), ("退休", 2)))
            batch.append({
                "id": person_id, "institution_id": inst_id, "staff_no": f"B{person_id:07d}",
                "name": rng.choice(SURNAMES) + rng.choice(GIVEN), "id_type": "01", "id_number": f"B{person_id:017d}",
                "sex": _weighted(rng, (("1", 40), ("2", 59), (None, 1))), "birth_date": birth,
                "ethnicity": _weighted(rng, (("01", 92), ("03", 3), ("15", 3), (None, 2))),
                "political": _weighted(rng, (("01", 30), ("03", 10), ("13", 58), (None, 2))),
                "education": _weighted(rng, (("1", 4), ("2", 40), ("3", 35), ("4", 18), (None, 3))),
                "degree": _weighted(rng, (("3", 4), ("4", 36), ("9", 55), (None, 5))),
                "work_start": birth + datetime.timedelta(days=int(rng.uniform(19, 26) * 365.25)),
                "status": status, "department_id": rng.choice(depts[inst_id]),
                "staff_category": _weighted(rng, categories),
                "establishment": _weighted(rng, (("1", 65), ("2", 25), ("3", 8), ("4", 2))),
                "tech_title": _weighted(rng, (("1", 2), ("2", 8), ("3", 25), ("4", 35), ("5", 20), (None, 10))),
                "created_at": now, "updated_at": now, "version": 1,
            })
            if status in ("离职", "退休"):
                leavers.append({"id": resignation_id, "institution_id": inst_id, "person_id": person_id,
                                "flow_type": "24" if status == "退休" else "21", "status": "已通过",
                                "leave_date": today - datetime.timedelta(days=rng.randint(1, 1500)),
                                "created_at": now, "version": 1})
                resignation_id += 1
            person_id += 1
            if len(batch) >= BATCH:
                conn.execute(insert(Person.__table__), batch)
                total += len(batch)
                batch = []
        if batch:
            conn.execute(insert(Person.__table__), batch)
            total += len(batch)
        for i in range(0, len(leavers), BATCH):
            conn.execute(insert(Resignation.__table__), leavers[i:i + BATCH])
        if conn.dialect.name == "postgresql":
            for table in ("institution", "department", "person", "resignation"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    print(f"{total} 名人员（{len(leavers)} 人已离职/退休）：{time.perf_counter() - started:.1f} s", flush=True)


def data_present(people):
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models.people import Person

    try:
        return db.session.scalar(select(func.count(Person.id))) >= people
    except Exception:
        db.session.rollback()
        return False


def accounts():
    """(label, user) of a province account, a county account and one synthetic institution's account."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models.org import Institution, Region
    from app.models.people import Person

    out = []
    for code, label in (("420000", "省（湖北省）"), ("420115", "县（江夏区）")):
        region = db.session.scalar(select(Region).where(Region.code == code))
        out.append((label, SimpleNamespace(is_authenticated=True, institution_id=None, region_id=region.id,
                                           region=region, roles=[])))
    inst_id = db.session.scalar(select(func.max(Institution.id)))
    staff = db.session.scalar(select(func.count(Person.id)).where(Person.institution_id == inst_id))
    out.append((f"单个机构（{staff} 人）", SimpleNamespace(is_authenticated=True, institution_id=inst_id, region_id=None,
                                                       region=None, roles=[])))
    return out


def measure(runs):
    from sqlalchemy import event

    from app.extensions import db
    from app.services import stats

    statements = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))
    on = datetime.date.today() - datetime.timedelta(days=365)
    rows = []
    for label, user in accounts():
        for case, dim_rows, dim_cols, dated in CASES:
            filters = stats.Filters(on=on) if dated else None

            def call(user=user, dim_rows=dim_rows, dim_cols=dim_cols, filters=filters):
                return stats.count(user, dim_rows, dim_cols, filters=filters)

            table = call()  # warm-up
            statements.clear()
            call()
            count = len(statements)
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                call()
                times.append((time.perf_counter() - started) * 1000)
                db.session.remove()  # a request's session: nothing cached between runs
            times.sort()
            p90 = times[min(len(times) - 1, max(0, round(0.9 * len(times)) - 1))]
            rows.append((label, case, statistics.median(times), p90, count, table.total))
        if user.institution_id:  # the 卫统 export (卫生人力基本信息) of that institution, the whole .xlsx
            from app.models.org import Institution
            from app.services import hr_basic

            inst = db.session.get(Institution, user.institution_id)
            year = datetime.date.today().year
            data = hr_basic.workbook(inst, year)
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                hr_basic.workbook(db.session.get(Institution, user.institution_id), year)
                times.append((time.perf_counter() - started) * 1000)
                db.session.remove()
            times.sort()
            p90 = times[min(len(times) - 1, max(0, round(0.9 * len(times)) - 1))]
            rows.append((label, f"卫统导出 .xlsx {len(data) // 1024} KB", statistics.median(times), p90, 0,
                         hr_basic.count(user.institution_id, year)))
    return rows


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.dir, exist_ok=True)
    url = args.database_url or "sqlite:///" + os.path.join(args.dir, "stats.db")
    prepare_database(url, args.reuse)
    app = make_app(url, args.dir)

    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        if args.reuse and data_present(args.people):
            print("复用已有数据（--reuse）", flush=True)
        else:
            if args.reuse:
                db.session.remove()
                db.engine.dispose()
                prepare_database(url, reuse=False)
            build(args)
        if args.index:
            with db.engine.begin() as conn:
                conn.execute(text(f"CREATE INDEX IF NOT EXISTS ix_bench_stats ON person ({args.index})"))
                conn.execute(text("ANALYZE"))
        db.session.remove()
        results = measure(args.runs)
        db.session.remove()
        db.engine.dispose()
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n数据库 {url.split(':', 1)[0]}；索引 {args.index or '现有'}；计时 {args.runs} 次；"
          f"机器负载 {load}（{os.cpu_count()} 核）")
    print(f"{'账号':<14}{'统计':<22}{'中位 ms':>10}{'p90 ms':>10}{'语句':>6}{'人数':>10}")
    for label, case, median, p90, count, total in results:
        print(f"{label:<14}{case:<22}{median:>10.1f}{p90:>10.1f}{count:>6}{total:>10}")
    if args.drop:
        drop_database(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
