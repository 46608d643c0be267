"""Benchmark of the drug type-ahead (spec 5.3): prints figures, asserts nothing.

Builds a fresh database (`flask setup --demo`, which loads app/data/drugs.csv), fills the drug dictionary up to
--drugs entries with synthetic ones (Chinese names from a pool of characters, their 拼音缩写 by pypinyin as in
services/drugs.py), then types queries one keystroke at a time — pinyin initials, Chinese, mixed — through the Flask
test client (/drugs/search/, logged in as sysadmin01) and through the service, and prints the median / p90 latency
per keystroke. The target (issue 14) is under 100 ms per keystroke at 10,000 drugs.

    .venv/bin/python bench/emergency.py                       # SQLite file under $TMPDIR/hr-bench
    .venv/bin/python bench/emergency.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_drugs

With `--part summary` (or `all`, the default) it also measures 区域管理 → 应急资源汇总
(services/emergency_summary.totals): --institutions synthetic institutions (default 3,000) spread over the demo's
counties, each with --reports reports of 机构能力上报 (default 12, one a month, every indicator a line: 18), mostly
已上报, the newest some 未上报 / 已退回; then the totals for a province account (湖北省, every institution) and a
county account (江夏区), over the last 30 days and over a year (the latest of 12 reports per institution). `--index`
adds a candidate index first, to compare.

    .venv/bin/python bench/emergency.py --part summary
    .venv/bin/python bench/emergency.py --part summary --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_summary

With `--part supplies` (issue 15) it measures 应急资源汇总 of 药械 (services/supply_summary.summary): --institutions
synthetic institutions × 30 drugs of the dictionary × --days days (default 90) of daily 存量 and 日消耗 entries,
bulk-inserted (COPY on PostgreSQL, executemany on SQLite); the median of the day's summary for the province and for
江夏区; and the server time of saving a 30-row 存量上报 form through emergency_supplies.report() (median; today's
30 entries of one institution deleted before each run, outside the timing). `--supply-index` adds a candidate index
on supply_entry first, to compare. `--drop` drops the PostgreSQL database (deletes the SQLite file) afterwards.

    .venv/bin/python bench/emergency.py --part supplies --drop
    .venv/bin/python bench/emergency.py --part supplies --drop --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_supplies
"""
import argparse
import functools
import os
import random
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench.people import CSRF_RE, make_app, prepare_database  # noqa: E402

# Queries typed keystroke by keystroke: every prefix is one request.
QUERIES = ("amxl", "qms", "tbqs", "dsms", "阿莫西林", "霉素", "阿mxl", "wssc", "zzzz")
POOL = "阿莫西林青霉素头孢克洛地塞米松氨溴索布洛芬对乙酰基酚维生素硝苯平美托尔卡普利氯化钠葡萄糖甘露醇肾上腺多巴胺"
FORMS = (("片剂", "片"), ("胶囊", "粒"), ("注射剂", "支"), ("颗粒剂", "袋"), ("口服溶液剂", "瓶"))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="药品字典联想输入基准测试（打印数据，不做断言）")
    p.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "hr-bench"), help="工作目录")
    p.add_argument("--database-url", default=None, help="数据库地址，默认 <dir>/emergency.db")
    p.add_argument("--drugs", type=int, default=10_000, help="药品字典条目数（默认 10000）")
    p.add_argument("--runs", type=int, default=10, help="每个按键计时次数（默认 10）")
    p.add_argument("--part", choices=("all", "drugs", "summary", "supplies"), default="all",
                   help="测哪一部分（默认 all：药品字典与汇总；supplies 单独测物资药械汇总）")
    p.add_argument("--days", type=int, default=90, help="物资药械：每个机构的上报天数（默认 90）")
    p.add_argument("--supply-index", default="", help="物资药械：先建的候选索引的列，如 resource,report,day")
    p.add_argument("--drop", action="store_true", help="测完删除基准数据库")
    p.add_argument("--institutions", type=int, default=3000, help="汇总：机构数（默认 3000）")
    p.add_argument("--reports", type=int, default=12, help="汇总：每个机构的上报次数（默认 12）")
    p.add_argument("--index", default="", help="汇总：先建的候选索引的列，如 kind,status,report_date")
    return p.parse_args(argv)


def build(total):
    from sqlalchemy import func, insert, select

    from app.cli import run_setup
    from app.extensions import db
    from app.models.emergency_drugs import DrugItem
    from app.services.drugs import abbreviation

    started = time.perf_counter()
    run_setup(demo=True, font=False)
    have = db.session.scalar(select(func.count(DrugItem.id)))
    rng = random.Random(14)
    rows = []
    for n in range(max(0, total - have)):
        name = "".join(rng.choice(POOL) for _ in range(rng.randint(3, 7)))
        form, unit = rng.choice(FORMS)
        rows.append({"code": f"SYN{n:06d}", "name": name, "abbreviation": abbreviation(name), "dosage_form": form,
                     "spec": f"{rng.randint(1, 500)}mg", "unit": unit, "category": "合成", "active": True,
                     "version": 1})
    for i in range(0, len(rows), 2000):
        db.session.execute(insert(DrugItem), rows[i:i + 2000])
    db.session.commit()
    count = db.session.scalar(select(func.count(DrugItem.id)))
    print(f"setup --demo + {len(rows)} synthetic drugs: {time.perf_counter() - started:.1f} s; 字典共 {count} 条",
          flush=True)
    return count


def keystrokes():
    for query in QUERIES:
        for end in range(1, len(query) + 1):
            yield query[:end]


def measure(call, runs):
    times = []
    for text in keystrokes():
        call(text)  # warm-up
        for _ in range(runs):
            started = time.perf_counter()
            call(text)
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1], times[-1], len(times)


def build_reports(institutions, per_institution):
    """Synthetic institutions over the demo's counties, each with `per_institution` 机构能力上报, bulk-inserted."""
    import datetime

    from sqlalchemy import func, insert, select

    from app.domain.uscc import check_char
    from app.extensions import db
    from app.models.emergency_reports import EmergencyReport, EmergencyReportLine
    from app.models.org import Institution, Region
    from app.services import emergency_reports as reports

    started = time.perf_counter()
    counties = list(db.session.scalars(select(Region).where(Region.level == 3).order_by(Region.code)))
    codes = [i.code for i in reports.indicators("capacity")]
    rng = random.Random(14)
    first_inst = (db.session.scalar(select(func.max(Institution.id))) or 0) + 1
    rows = []
    for n in range(institutions):
        region = counties[n % len(counties)]
        first17 = f"12{region.code}MB{n:07d}"
        rows.append({"id": first_inst + n, "code": first17 + check_char(first17), "name": f"基准卫生院{n:05d}",
                     "region_id": region.id, "kind": "乡镇卫生院", "is_large_public": False, "internet_access": True,
                     "version": 1})
    for i in range(0, len(rows), 2000):
        db.session.execute(insert(Institution), rows[i:i + 2000])
    today = datetime.date.today()
    report_id = (db.session.scalar(select(func.max(EmergencyReport.id))) or 0) + 1
    heads, lines = [], []
    for n in range(institutions):
        for k in range(per_institution):
            day = today - datetime.timedelta(days=30 * k + rng.randint(0, 5))
            status = reports.REPORTED
            if k == 0:
                status = rng.choices((reports.REPORTED, reports.DRAFT, reports.RETURNED), (90, 5, 5))[0]
            now = datetime.datetime.combine(day, datetime.time(9))
            heads.append({"id": report_id, "institution_id": first_inst + n, "kind": "capacity", "report_date": day,
                          "status": status, "created_at": now, "reported_at": now if status != reports.DRAFT else None,
                          "version": 1})
            lines.extend({"report_id": report_id, "item_code": c, "value": rng.randint(0, 60)} for c in codes)
            report_id += 1
        if len(lines) > 50_000:
            db.session.execute(insert(EmergencyReport), heads)
            db.session.execute(insert(EmergencyReportLine), lines)
            heads, lines = [], []
    if heads:
        db.session.execute(insert(EmergencyReport), heads)
        db.session.execute(insert(EmergencyReportLine), lines)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        for table in ("institution", "emergency_report", "emergency_report_line"):
            db.session.execute(sa_text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                       f"(SELECT max(id) FROM {table}))"))
        db.session.commit()
        db.session.execute(sa_text("ANALYZE"))
        db.session.commit()
    else:
        db.session.execute(sa_text("ANALYZE"))
    total = db.session.scalar(select(func.count(EmergencyReportLine.id)))
    print(f"{institutions} 个机构 × {per_institution} 次上报（{len(codes)} 项指标）：共 {total} 行数据，"
          f"生成 {time.perf_counter() - started:.1f} s", flush=True)


def sa_text(sql):
    from sqlalchemy import text

    return text(sql)


def measure_summary(runs, index_columns=""):
    """Medians of emergency_summary.totals for a province and a county account, 30 days and a year; with
    `index_columns` measured again after that index is created."""
    _measure_summary(runs, "")
    if index_columns:
        _measure_summary(runs, index_columns)


def _measure_summary(runs, index_columns):
    import datetime
    from types import SimpleNamespace

    from sqlalchemy import event, select

    from app.extensions import db
    from app.models.org import Region
    from app.services import emergency_summary

    if index_columns:
        db.session.execute(sa_text(f"CREATE INDEX IF NOT EXISTS ix_bench_summary ON emergency_report "
                                   f"({index_columns})"))
        db.session.commit()
        db.session.execute(sa_text("ANALYZE"))
        db.session.commit()
    statements = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))
    today = datetime.date.today()
    results = []
    for code, label in (("420000", "省（湖北省）"), ("420115", "县（江夏区）")):
        region = db.session.scalar(select(Region).where(Region.code == code))
        user = SimpleNamespace(is_authenticated=True, institution_id=None, region_id=region.id, region=region,
                               roles=[])
        for days, period in ((30, "近 30 天"), (365, "近一年")):
            call = functools.partial(emergency_summary.totals, user, "capacity",
                                     today - datetime.timedelta(days=days), today)
            summary = call()  # warm-up
            statements.clear()
            call()
            count = len(statements)
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                call()
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            results.append((f"{label} {period}", statistics.median(times), times[int(len(times) * 0.9) - 1] if
                            len(times) >= 10 else times[-1], count, f"{summary.reported}/{summary.in_scope}",
                            summary.totals.get("beds", 0)))
    print(f"\n索引：{index_columns or '现有（emergency_report.institution_id）'}；{db.engine.dialect.name}")
    print(f"{'应急资源汇总 totals()':<22}{'中位 ms':>10}{'p90 ms':>10}{'语句':>6}{'已上报/机构':>14}{'床位合计':>10}")
    for label, median, p90, count, reported, beds in results:
        print(f"{label:<24}{median:>10.1f}{p90:>10.1f}{count:>6}{reported:>16}{beds:>10}")


SUPPLY_ITEMS = 30


def _institutions(institutions):
    """`institutions` synthetic 乡镇卫生院 over the demo's counties, bulk-inserted; returns the first id."""
    from sqlalchemy import func, insert, select

    from app.domain.uscc import check_char
    from app.extensions import db
    from app.models.org import Institution, Region

    counties = list(db.session.scalars(select(Region).where(Region.level == 3).order_by(Region.code)))
    first_inst = (db.session.scalar(select(func.max(Institution.id))) or 0) + 1
    rows = []
    for n in range(institutions):
        region = counties[n % len(counties)]
        first17 = f"12{region.code}MB{n:07d}"
        rows.append({"id": first_inst + n, "code": first17 + check_char(first17), "name": f"基准卫生院{n:05d}",
                     "region_id": region.id, "kind": "乡镇卫生院", "is_large_public": False, "internet_access": True,
                     "version": 1})
    for i in range(0, len(rows), 2000):
        db.session.execute(insert(Institution), rows[i:i + 2000])
    db.session.commit()
    return first_inst


def build_supplies(institutions, days):
    """Daily 存量 and 日消耗 of SUPPLY_ITEMS dictionary drugs (药械) for `days` days per institution, bulk-loaded."""
    import datetime

    from sqlalchemy import func, select

    from app.extensions import db
    from app.models.emergency_drugs import DrugItem
    from app.models.emergency_supplies import SupplyEntry
    from app.services import emergency_supplies as entries

    started = time.perf_counter()
    first_inst = _institutions(institutions)
    drugs = list(db.session.scalars(select(DrugItem).where(DrugItem.active.is_(True)).order_by(DrugItem.code)
                                    .limit(SUPPLY_ITEMS)))
    items = [entries.item("drugdevice", f"drug:{d.code}") for d in drugs]
    today = datetime.date.today()
    rng = random.Random(15)
    columns = ("institution_id", "resource", "report", "day", "item_code", "category", "name", "spec", "unit",
               "quantity", "created_at", "change_count", "version")

    def rows():
        for n in range(institutions):
            inst = first_inst + n
            for it in items:
                stock = rng.randint(200, 2000)
                for k in range(days - 1, -1, -1):
                    day = today - datetime.timedelta(days=k)
                    used = rng.randint(0, 60)
                    stock = max(0, stock - used) if rng.random() > 0.05 else stock + rng.randint(100, 1000)
                    at = datetime.datetime.combine(day, datetime.time(9))
                    for report, quantity in (("stock", stock), ("daily", used)):
                        yield (inst, "drugdevice", report, day, it.code, it.category, it.name, it.spec, it.unit,
                               quantity, at, 0, 1)

    total = institutions * len(items) * days * 2
    if db.engine.dialect.name == "postgresql":
        db.session.commit()
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            with cur.copy(f"COPY supply_entry ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows():
                    copy.write_row(row)
            raw.commit()
            cur.execute("SELECT setval(pg_get_serial_sequence('supply_entry', 'id'), (SELECT max(id) FROM supply_entry))")
            cur.execute("SELECT setval(pg_get_serial_sequence('institution', 'id'), (SELECT max(id) FROM institution))")
            raw.commit()
            raw.autocommit = True
            cur.execute("VACUUM ANALYZE")
        finally:
            raw.close()
    else:
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            sql = f"INSERT INTO supply_entry ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            batch = []
            for row in rows():
                batch.append((*row[:3], row[3].isoformat(), *row[4:9], str(row[9]), row[10].isoformat(" "),
                              *row[11:]))
                if len(batch) >= 100_000:
                    cur.executemany(sql, batch)
                    batch = []
            if batch:
                cur.executemany(sql, batch)
            raw.commit()
            cur.execute("ANALYZE")
            raw.commit()
        finally:
            raw.close()
    count = db.session.scalar(select(func.count(SupplyEntry.id)))
    print(f"{institutions} 个机构 × {len(items)} 种药械 × {days} 天 × 2（存量、日消耗）：{count} 条（预计 {total}），"
          f"生成 {time.perf_counter() - started:.1f} s", flush=True)
    return first_inst, items


def measure_supplies(runs, first_inst, items, index_columns=""):
    """Medians of supply_summary.summary (province, county) and of a 30-row 存量上报 through report()."""
    import datetime
    from types import SimpleNamespace

    from sqlalchemy import delete, event, select

    from app.extensions import db
    from app.models.emergency_supplies import SupplyEntry
    from app.models.org import Region
    from app.services import emergency_supplies as entries
    from app.services import supply_summary

    if index_columns:
        db.session.execute(sa_text(f"CREATE INDEX IF NOT EXISTS ix_bench_supply ON supply_entry ({index_columns})"))
        db.session.commit()
        db.session.execute(sa_text("ANALYZE"))
        db.session.commit()
    statements = []
    listener = lambda *a: statements.append(1)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    today = datetime.date.today()
    results = []

    def timed(label, call, before=None, note=""):
        if before:
            before()
        call()  # warm-up
        times = []
        count = 0
        for _ in range(runs):
            if before:
                before()
            statements.clear()
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
            count = len(statements)
        times.sort()
        results.append((label, statistics.median(times), times[int(len(times) * 0.9) - 1] if len(times) >= 10
                        else times[-1], count, note))

    for code, label in (("420000", "省（湖北省）"), ("420115", "县（江夏区）")):
        region = db.session.scalar(select(Region).where(Region.code == code))
        user = SimpleNamespace(is_authenticated=True, institution_id=None, region_id=region.id, region=region,
                               roles=[])
        result = supply_summary.summary(user, "drugdevice", today)
        low = sum(1 for u in result.units if u.low)
        timed(f"汇总 {label}", functools.partial(supply_summary.summary, user, "drugdevice", today),
              note=f"机构 {result.in_scope}，项目 {len(result.items)}，列 {len(result.units)}（偏低 {low}）")
    inst = first_inst + 7
    clerk = SimpleNamespace(is_authenticated=True, institution_id=inst, region_id=None, id=None, roles=[])
    form = [{"item": it.code, "quantity": str(100 + n)} for n, it in enumerate(items)]

    def clear():
        db.session.execute(delete(SupplyEntry).where(SupplyEntry.institution_id == inst,
                                                     SupplyEntry.report == "stock", SupplyEntry.day == today))
        db.session.commit()

    timed("30 行存量上报 report()", lambda: entries.report(clerk, "drugdevice", "stock", f"{today:%Y-%m-%d}", form,
                                                      confirmed=True), before=clear, note="含提示检查、审计")
    event.remove(db.engine, "before_cursor_execute", listener)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(f"\n索引：{index_columns or '现有'}；{db.engine.dialect.name}；机器负载 {load}")
    print(f"{'物资药械':<26}{'中位 ms':>10}{'p90 ms':>10}{'语句':>6}  说明")
    for label, median, p90, count, note in results:
        print(f"{label:<28}{median:>10.1f}{p90:>10.1f}{count:>6}  {note}")


def drop_database(url):
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and os.path.exists(u.database):
            os.remove(u.database)
        return
    import psycopg

    with psycopg.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username, password=u.password,
                         dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
    print(f"已删除基准数据库 {u.database}")


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.dir, exist_ok=True)
    url = args.database_url or "sqlite:///" + os.path.join(args.dir, "emergency.db")
    prepare_database(url, reuse=False)
    app = make_app(url, args.dir)
    from app.extensions import db
    from app.services import drugs
    from app.services.seed import DEMO_PASSWORD

    if args.part == "supplies":
        try:
            with app.app_context():
                from app.cli import run_setup

                run_setup(demo=True, font=False)
                first_inst, items = build_supplies(args.institutions, args.days)
                measure_supplies(args.runs, first_inst, items)
                if args.supply_index:
                    measure_supplies(args.runs, first_inst, items, args.supply_index)
                db.session.remove()
                db.engine.dispose()
        finally:
            if args.drop:
                drop_database(url)
        return

    if args.part == "summary":
        with app.app_context():
            from app.cli import run_setup

            run_setup(demo=True, font=False)
            build_reports(args.institutions, args.reports)
            measure_summary(args.runs, args.index)
            db.session.remove()
        return

    with app.app_context():
        count = build(args.drugs)
        if args.part == "all":
            build_reports(args.institutions, args.reports)
        db.session.remove()

    client = app.test_client()
    token = CSRF_RE.search(client.get("/login/").get_data(as_text=True)).group(1)
    client.post("/login/", data={"username": "sysadmin01", "password": DEMO_PASSWORD, "csrf_token": token})

    def through_http(text):
        resp = client.get("/drugs/search/", query_string={"q": text})
        assert resp.status_code == 200, resp.status_code

    with app.app_context():
        service = measure(lambda text: drugs.search(text, 20), args.runs)
    http = measure(through_http, args.runs)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(f"\n数据库 {url.split(':', 1)[0]}；药品字典 {count} 条；{len(list(keystrokes()))} 个按键 × {args.runs} 次；"
          f"机器负载 {load}（{os.cpu_count()} 核）")
    print(f"{'联想输入（每个按键）':<20}{'中位 ms':>10}{'p90 ms':>10}{'最大 ms':>10}{'次数':>8}")
    for label, (median, p90, worst, n) in (("服务 drugs.search", service), ("HTTP /drugs/search/", http)):
        print(f"{label:<22}{median:>10.1f}{p90:>10.1f}{worst:>10.1f}{n:>8}")
    if args.part == "all":
        with app.app_context():
            measure_summary(args.runs, args.index)


if __name__ == "__main__":
    main()
