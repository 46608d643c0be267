"""Benchmark of the staff batch import: prints figures, asserts nothing.

Builds a database (SQLite file under $TMPDIR/hr-bench-imports, or --database-url), runs `setup --demo`, gives the
demo 江夏区 centre 10 departments and a mapped post, then generates valid 基本信息 files of 10,000 and 100,000 rows
(through the export writer, so they carry the template's hidden sheet and a shared-strings table as Excel writes
them) and a 10,000-row file in which every row is wrong. Each scenario runs in a fresh child process so its peak
RSS is its own, and each run starts from a copy of the same database (`--repeat` runs per scenario: this 2-core
machine's speed varies by a fifth from one minute to the next, so medians are printed). Printed per scenario: rows,
import seconds, rows/s, peak RSS, the seconds python-calamine alone takes to read the file (open + every row of the
data sheet), import ÷ read, and for the error file the seconds spent writing the error workbook.

    .venv/bin/python bench/imports.py
    .venv/bin/python bench/imports.py --rows 10000           # skip the 100,000-row scenario
    .venv/bin/python bench/imports.py --repeat 5             # five runs of each scenario (default 3)
    .venv/bin/python bench/imports.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_imports

Targets (for information): 10,000 rows ≤ 1.5 s and ≤ 4× the calamine read; 100,000 rows ≤ 15 s with peak RSS
≤ 400 MB; the error workbook of 10,000 failed rows ≤ 3 s. See docs/benchmarks.md.
"""
import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

DEPARTMENTS = ("内科", "外科", "妇产科", "儿科", "中医科", "公共卫生科", "检验科", "放射科", "药剂科", "护理部")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="人员批量导入基准测试（打印数据，不做断言）")
    p.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "hr-bench-imports"),
                   help="工作目录：SQLite 文件、生成的 Excel 文件（默认 $TMPDIR/hr-bench-imports）")
    p.add_argument("--database-url", default=None, help="数据库地址，默认 <dir>/imports.db")
    p.add_argument("--rows", default="10000,100000", help="有效行场景的行数，逗号分隔（默认 10000,100000）")
    p.add_argument("--error-rows", type=int, default=10000, help="全部出错的文件的行数（默认 10000，0 = 不测）")
    p.add_argument("--batch-size", type=int, default=0, help="每批行数（默认 0 = 导入引擎的默认值）")
    p.add_argument("--repeat", type=int, default=3,
                   help="每个场景运行几次（每次都从同一个数据库副本开始），打印中位数和范围（默认 3）")
    p.add_argument("--scenario", help=argparse.SUPPRESS)  # internal: run one scenario in this process
    return p.parse_args(argv)


def prepare_database(url):
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
        conn.execute(f'CREATE DATABASE "{u.database}"')


def snapshot(url, restore=False):
    """Keep a copy of the built database (restore=False) or put it back (restore=True), so every run of every
    scenario starts from the same data: a file copy on SQLite, a template database on PostgreSQL."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        import shutil

        src, dst = (u.database + ".template", u.database) if restore else (u.database, u.database + ".template")
        shutil.copyfile(src, dst)
        return
    import psycopg

    template = f"{u.database}_template"
    with psycopg.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username, password=u.password,
                         dbname="postgres", autocommit=True) as conn:
        src, dst = (template, u.database) if restore else (u.database, template)
        conn.execute(f'DROP DATABASE IF EXISTS "{dst}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{dst}" TEMPLATE "{src}"')


def make_app(url, workdir):
    import config
    from app import create_app

    class BenchConfig(config.Config):
        SQLALCHEMY_DATABASE_URI = url
        UPLOAD_FOLDER = os.path.join(workdir, "uploads")
        PDF_WARM_UP = False
        RECOVER_IMPORT_JOBS = False
        RATELIMIT_STORAGE_URI = "memory://"
        RATELIMIT_ENABLED = False

    return create_app(BenchConfig)


def institution():
    from sqlalchemy import select

    from app.extensions import db
    from app.models.org import Institution
    from app.services.seed import JIANGXIA_CODE

    return db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))


def build(url, workdir, sizes, error_rows):
    """Fresh database with the organisation the import needs, and the generated files."""
    from app.cli import run_setup
    from app.services import audit, departments, posts

    prepare_database(url)
    app = make_app(url, workdir)
    with app.app_context():
        started = time.perf_counter()
        run_setup(demo=True)
        inst = institution()
        with audit.acting_as("bench"):
            for name in DEPARTMENTS:
                departments.create(inst.id, name=name, category="科室(部门)", standard_code="A03")
            post = posts.create(inst.id, name="临床医师", category="专业技术岗")
            posts.set_mapping(inst.id, post.id, posts.standard_posts_for_institution(inst.id)[0].id)
        print(f"setup {time.perf_counter() - started:.1f} s")
        files = {}
        offset = 0
        for n in sizes:
            files[f"valid-{n}"] = write_file(inst, os.path.join(workdir, f"basic-{n}.xlsx"), n, offset, valid=True)
            offset += n
        if error_rows:
            files[f"errors-{error_rows}"] = write_file(inst, os.path.join(workdir, f"errors-{error_rows}.xlsx"),
                                                        error_rows, offset, valid=False)
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()  # no connection left open: PostgreSQL copies a database only when nobody uses it
    return files


def write_file(inst, path, n, offset, valid):
    from app.services.imports.columns import Catalogue
    from app.services.imports.template import SheetRow, write_workbook
    from app.services.seed import GIVEN, SURNAMES, synthetic_id

    rng = random.Random(n + offset)
    cat = Catalogue(inst, "basic")
    lists = cat.lists()

    def rows():
        for i in range(n):
            number = synthetic_id(14000 + offset + i)
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            if valid:
                work_year = min(int(number[6:10]) + rng.randrange(18, 30), 2024)
                cells = [inst.name, f"G{offset + i:07d}", name, "居民身份证", number, None, None,
                         rng.choice(lists["ethnicity"][:5]), rng.choice(lists["political_status"]),
                         f"139{rng.randrange(10 ** 8):08d}", f"{work_year}-{rng.randrange(1, 13):02d}",
                         rng.choice(DEPARTMENTS), "临床医师", "在岗", rng.choice(lists["staff_category"]),
                         rng.choice(lists["establishment"]), "大学本科", "临床医学", "学士", "中级", "中级", "临床",
                         "内科专业", None]
            else:  # three wrong cells a row: check digit, phone, department
                cells = [inst.name, f"E{offset + i:07d}", name, "居民身份证", number[:17] + ("0" if number[17] != "0"
                                                                                          else "1"),
                         None, None, "汉族", None, f"12{i:09d}", "2010-07", "内 科", "临床医师", "在岗"] + [None] * 10
            yield SheetRow(cells)

    started = time.perf_counter()
    data = write_workbook(cat, rows())
    with open(path, "wb") as fh:
        fh.write(data)
    print(f"generated {os.path.basename(path)}: {n:,} rows, {len(data) / 1e6:.1f} MB in "
          f"{time.perf_counter() - started:.1f} s")
    return path


def calamine_read(path) -> float:
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    book = CalamineWorkbook.from_path(path)
    rows = 0
    for _ in book.get_sheet_by_name("基本信息").iter_rows():
        rows += 1
    book.close()
    return time.perf_counter() - started


def peak_rss_mb() -> int:
    """This process's peak resident memory. Not getrusage's ru_maxrss: Linux carries it over from the parent
    through fork + exec, so every scenario showed the peak of the script that generated the files."""
    try:
        with open("/proc/self/status") as fh:
            return round(int(next(ln.split()[1] for ln in fh if ln.startswith("VmHWM:"))) / 1024)
    except (OSError, StopIteration):
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def scenario(url, workdir, path, batch_size):
    """One import in this (fresh) process; prints one JSON line."""
    from app.services.imports import report, runner

    app = make_app(url, workdir)
    spent = {"report": 0.0}
    original = report.build_report

    def timed(*a, **kw):
        t = time.perf_counter()
        try:
            return original(*a, **kw)
        finally:
            spent["report"] += time.perf_counter() - t

    runner.report_module.build_report = timed
    read = calamine_read(path)
    with app.app_context():
        inst = institution()
        started = time.perf_counter()
        result = runner.run_import(inst, "basic", path, user="bench", batch_size=batch_size or None)
        seconds = time.perf_counter() - started
    print(json.dumps({
        "file": os.path.basename(path), "rows": result.total, "created": result.created, "failed": result.failed,
        "import_s": round(seconds, 2), "rows_per_s": round(result.total / seconds),
        "peak_rss_mb": peak_rss_mb(),
        "calamine_s": round(read, 2), "ratio": round(seconds / read, 1), "report_s": round(spent["report"], 2),
        "report_mb": round(len(result.report) / 1e6, 1) if result.report else 0,
    }, ensure_ascii=False))


def main():
    args = parse_args()
    os.makedirs(args.dir, exist_ok=True)
    url = args.database_url or "sqlite:///" + os.path.join(args.dir, "imports.db")
    if args.scenario:
        scenario(url, args.dir, args.scenario, args.batch_size)
        return
    sizes = [int(s) for s in args.rows.split(",") if s.strip()]
    load = os.getloadavg()
    print(f"bench/imports.py  {url.split('@')[-1]}  load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}  "
          f"cpus {os.cpu_count()}")
    files = build(url, args.dir, sizes, args.error_rows)
    print("targets: 10,000 rows ≤ 1.5 s and ≤ 4× read; 100,000 rows ≤ 15 s, RSS ≤ 400 MB; error workbook of "
          "10,000 failed rows ≤ 3 s")
    snapshot(url)
    print(f"each scenario {args.repeat}× from the same database; import s and × read: median (min–max)")
    print(f"{'file':<20}{'rows':>9}{'import s':>20}{'rows/s':>9}{'peak RSS MB':>13}{'calamine s':>12}"
          f"{'× read':>18}{'report s':>10}")
    for _key, path in files.items():
        runs = []
        for _ in range(max(1, args.repeat)):
            snapshot(url, restore=True)
            cmd = [sys.executable, os.path.abspath(__file__), "--dir", args.dir, "--database-url", url,
                   "--batch-size", str(args.batch_size), "--scenario", path]
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("{")), None)
            if proc.returncode or line is None:
                print(f"{os.path.basename(path)} failed:\n{proc.stderr[-2000:]}")
                break
            runs.append(json.loads(line))
        if not runs:
            continue

        def spread(key, runs=runs):
            values = sorted(r[key] for r in runs)
            return f"{statistics.median(values):g} ({values[0]:g}–{values[-1]:g})" if len(values) > 1 else f"{values[0]:g}"

        r = runs[0]
        seconds = statistics.median(x["import_s"] for x in runs)
        print(f"{r['file']:<20}{r['rows']:>9,}{spread('import_s'):>20}{round(r['rows'] / seconds):>9,}"
              f"{max(x['peak_rss_mb'] for x in runs):>13}{statistics.median(x['calamine_s'] for x in runs):>12g}"
              f"{spread('ratio'):>18}{statistics.median(x['report_s'] for x in runs):>10g}")


if __name__ == "__main__":
    main()
