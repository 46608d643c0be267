"""Benchmark of the drug type-ahead (spec 5.3): prints figures, asserts nothing.

Builds a fresh database (`flask setup --demo`, which loads app/data/drugs.csv), fills the drug dictionary up to
--drugs entries with synthetic ones (Chinese names from a pool of characters, their 拼音缩写 by pypinyin as in
services/drugs.py), then types queries one keystroke at a time — pinyin initials, Chinese, mixed — through the Flask
test client (/drugs/search/, logged in as sysadmin01) and through the service, and prints the median / p90 latency
per keystroke. The target (issue 14) is under 100 ms per keystroke at 10,000 drugs.

    .venv/bin/python bench/emergency.py                       # SQLite file under $TMPDIR/hr-bench
    .venv/bin/python bench/emergency.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_drugs

The regional total at 3,000 institutions × 12 reports is not measured yet (the report engine is another part).
"""
import argparse
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


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.dir, exist_ok=True)
    url = args.database_url or "sqlite:///" + os.path.join(args.dir, "emergency.db")
    prepare_database(url, reuse=False)
    app = make_app(url, args.dir)
    from app.extensions import db
    from app.services import drugs
    from app.services.seed import DEMO_PASSWORD

    with app.app_context():
        count = build(args.drugs)
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


if __name__ == "__main__":
    main()
