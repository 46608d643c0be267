"""Benchmark of the staff pages at scale: prints figures, asserts nothing.

Builds (or, with --reuse, reuses) a database with 100,000 staff over 200 institutions, one of which (the demo
江夏区 centre) has 5,000, then measures through the Flask test client, logged in as an owner of that institution,
the median / p90 latency and the SQL query count of the staff list, the photo wall, a name search and a person
detail page. The query count is also taken as the owner of a small institution: it must not grow with rows.

    .venv/bin/python bench/people.py                       # SQLite file under $TMPDIR/hr-bench
    .venv/bin/python bench/people.py --reuse               # skip the build when the data is already there
    .venv/bin/python bench/people.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

Without --reuse the database is rebuilt: the SQLite file is deleted, a PostgreSQL database is dropped and
created again (it is created when missing in any case). See docs/benchmarks.md.
"""
import argparse
import datetime
import os
import random
import re
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

BENCH_PASSWORD = "Bench@Hb-2580"
BIG_OWNER, SMALL_OWNER = "bench_owner", "bench_small"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
DEPARTMENTS = (("内科", "科室(部门)"), ("外科", "科室(部门)"), ("妇产科", "科室(部门)"), ("儿科", "科室(部门)"),
               ("中医科", "科室(部门)"), ("公共卫生科", "科室(部门)"), ("护理部", "职能部门"), ("办公室", "职能部门"),
               ("检验科", "科室(部门)"), ("东湖村卫生室", "村卫生室"))
BATCH = 5000


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="人员页面基准测试（打印数据，不做断言）")
    p.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "hr-bench"),
                   help="工作目录：SQLite 文件与上传目录（默认 $TMPDIR/hr-bench）")
    p.add_argument("--database-url", default=None,
                   help="数据库地址，默认 <dir>/people.db；如 postgresql+psycopg://postgres@127.0.0.1:5432/bench")
    p.add_argument("--reuse", action="store_true", help="数据已存在时不重建")
    p.add_argument("--people", type=int, default=100_000, help="人员总数（默认 100000）")
    p.add_argument("--institutions", type=int, default=200, help="机构数（默认 200）")
    p.add_argument("--big", type=int, default=5000, help="被测机构的人员数（默认 5000）")
    p.add_argument("--runs", type=int, default=30, help="每个页面计时次数（默认 30）")
    p.add_argument("--warmup", type=int, default=3, help="每个页面预热次数（默认 3）")
    p.add_argument("--slow-sql", type=int, default=0, metavar="N",
                   help="另外打印每个页面（5000 人机构）最慢的 N 条 SQL，便于优化")
    return p.parse_args(argv)


# ---- database ----------------------------------------------------------------------------------------------------

def prepare_database(url, reuse):
    """Delete (SQLite) or drop (PostgreSQL) the database unless reusing; create a missing PostgreSQL database."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if not reuse and u.database and os.path.exists(u.database):
            os.remove(u.database)
        return
    if u.get_backend_name() != "postgresql":
        raise SystemExit(f"不支持的数据库：{u.get_backend_name()}")
    import psycopg

    with psycopg.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username, password=u.password,
                         dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (u.database,)).fetchone()
        if exists and not reuse:
            conn.execute(f'DROP DATABASE "{u.database}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{u.database}"')


def make_app(url, workdir):
    import config
    from app import create_app

    class BenchConfig(config.Config):
        SQLALCHEMY_DATABASE_URI = url
        UPLOAD_FOLDER = os.path.join(workdir, "uploads")
        PDF_WARM_UP = False
        RATELIMIT_STORAGE_URI = "memory://"
        RATELIMIT_ENABLED = False

    return create_app(BenchConfig)


def data_present(people, big):
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models.people import Person
    from app.models.security import User

    try:
        count = db.session.scalar(select(func.count(Person.id)))
        owners = db.session.scalar(select(func.count(User.id)).where(User.username.in_((BIG_OWNER, SMALL_OWNER))))
    except Exception:  # no schema yet
        db.session.rollback()
        return False
    return count >= people and owners == 2


def build(args):
    """setup --demo, then institutions, departments and staff by Core inserts in batches; the two owner accounts."""
    from sqlalchemy import func, insert, select, text

    from app.cli import run_setup
    from app.domain.id_number import birth_date, check_digit, sex_code
    from app.domain.person import PROBATION_STATUS
    from app.domain.uscc import check_char
    from app.extensions import db
    from app.models.org import Department, Institution, Region
    from app.models.people import Person
    from app.services import dictionaries
    from app.services.seed import GIVEN, JIANGXIA_CODE, SURNAMES

    started = time.perf_counter()
    run_setup(demo=True)
    print(f"setup --demo: {time.perf_counter() - started:.1f} s", flush=True)

    started = time.perf_counter()
    counties = list(db.session.scalars(select(Region).where(Region.level == 3).order_by(Region.code)))
    big = db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))
    next_id = {m: (db.session.scalar(select(func.max(m.id))) or 0) + 1 for m in (Institution, Department, Person)}
    now = datetime.datetime.now()

    institutions = []  # (id, region code, staff count)
    rest = args.people - args.big
    others = args.institutions - 1
    inst_rows = []
    for n in range(others):
        region = counties[n % len(counties)]
        first17 = f"12{region.code}MB{n:07d}"[:17]
        inst_id = next_id[Institution] + n
        inst_rows.append({"id": inst_id, "code": first17 + check_char(first17), "name": f"{region.name}基准卫生院{n + 1:03d}",
                          "region_id": region.id, "kind": "乡镇卫生院", "is_large_public": False, "internet_access": True})
        institutions.append((inst_id, region.code, rest // others + (1 if n < rest % others else 0)))
    institutions.insert(0, (big.id, big.region.code, args.big))

    dept_rows, depts = [], {}
    dept_id = next_id[Department]
    for inst_id, _code, _count in institutions:
        depts[inst_id] = []
        for seq, (name, category) in enumerate(DEPARTMENTS, start=1):
            dept_rows.append({"id": dept_id, "institution_id": inst_id, "parent_id": None, "name": name,
                              "category": category, "seq": seq, "active": True})
            depts[inst_id].append(dept_id)
            dept_id += 1

    rng = random.Random(20261126)
    ethnic = [d.code for d in dictionaries.items("ethnicity")][:10] or ["01"]
    education = [d.code for d in dictionaries.items("education")] or ["2"]
    taken = set(db.session.scalars(select(Person.id_number)))
    with db.engine.begin() as conn:
        if inst_rows:
            conn.execute(insert(Institution.__table__), inst_rows)
        conn.execute(insert(Department.__table__), dept_rows)
        person_id, index, batch, total = next_id[Person], 0, [], 0
        for inst_id, region_code, count in institutions:
            for _ in range(count):
                while True:  # a valid GB 11643 number, unique over the whole run
                    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=index % 15000)
                    first17 = f"{region_code}{birth:%Y%m%d}{(index // 15000) % 1000:03d}"
                    index += 1
                    number = first17 + check_digit(first17)
                    if number not in taken:
                        break
                batch.append({
                    "id": person_id, "institution_id": inst_id, "staff_no": f"{person_id:06d}",
                    "name": rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
                    "id_type": "01", "id_number": number, "sex": sex_code(number), "birth_date": birth_date(number),
                    "ethnicity": rng.choice(ethnic), "education": rng.choice(education),
                    "phone": f"13{rng.randrange(10**9):09d}", "work_start": birth + datetime.timedelta(days=22 * 365),
                    "status": PROBATION_STATUS if rng.random() < 0.02 else "在岗",
                    "department_id": rng.choice(depts[inst_id]), "created_at": now, "updated_at": now,
                })
                person_id += 1
                if len(batch) >= BATCH:
                    conn.execute(insert(Person.__table__), batch)
                    total += len(batch)
                    batch = []
        if batch:
            conn.execute(insert(Person.__table__), batch)
            total += len(batch)
        if conn.dialect.name == "postgresql":  # explicit ids were inserted: move the sequences past them
            for table in ("institution", "department", "person"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
        if conn.dialect.name == "sqlite":
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE institution, department, person"))
    print(f"inserted {len(inst_rows)} institutions, {len(dept_rows)} departments, {total} staff: "
          f"{time.perf_counter() - started:.1f} s", flush=True)

    small_id = institutions[1][0] if len(institutions) > 1 else big.id
    make_owner(BIG_OWNER, big)
    make_owner(SMALL_OWNER, db.session.get(Institution, small_id))
    db.session.commit()


def make_owner(username, institution):
    from app.extensions import db
    from app.services import accounts

    user = accounts.create_account(username, f"基准测试{institution.name}", ["机构总账号"], institution=institution,
                                   password=BENCH_PASSWORD, must_change_password=False, is_owner=True)
    user.certified_at = datetime.datetime.now()
    db.session.flush()
    return user


# ---- measuring ---------------------------------------------------------------------------------------------------

class QueryCounter:
    """Counts statements ("before_cursor_execute"); while `recording`, keeps each statement with its duration."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.count = 0
        self.recording = None
        self._started = None
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_args, **_kw):
        self.count += 1
        self._started = time.perf_counter()

    def _after(self, _conn, _cursor, statement, *_args, **_kw):
        if self.recording is not None and self._started is not None:
            self.recording.append(((time.perf_counter() - self._started) * 1000, " ".join(statement.split())))


def slowest(client, counter, url, n):
    counter.recording = []
    client.get(url)
    recorded, counter.recording = counter.recording, None
    return sorted(recorded, reverse=True)[:n]


def login(app, username):
    client = app.test_client()
    page = client.get("/login/").get_data(as_text=True)
    match = CSRF_RE.search(page)
    data = {"username": username, "password": BENCH_PASSWORD, "csrf_token": match.group(1) if match else ""}
    resp = client.post("/login/", data=data)
    if resp.status_code != 302:
        raise SystemExit(f"登录 {username} 失败：{resp.status_code}")
    return client


def measure(client, counter, url, runs, warmup):
    """(status, median ms, p90 ms, queries of one request: min–max over the runs)."""
    for _ in range(warmup):
        client.get(url)
    times, queries, status = [], [], None
    for _ in range(runs):
        before = counter.count
        started = time.perf_counter()
        resp = client.get(url)
        resp.get_data()
        times.append((time.perf_counter() - started) * 1000)
        queries.append(counter.count - before)
        status = resp.status_code
    times.sort()
    p90 = times[min(len(times) - 1, max(0, round(0.9 * len(times)) - 1))]
    q = f"{min(queries)}" if min(queries) == max(queries) else f"{min(queries)}–{max(queries)}"
    return status, statistics.median(times), p90, q


def pages(app, username):
    """The pages to measure, with ids and a surname taken from the owner's own institution."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models.people import Person
    from app.models.security import User

    with app.app_context():
        inst_id = db.session.scalar(select(User.institution_id).where(User.username == username))
        person_id = db.session.scalar(select(Person.id).where(Person.institution_id == inst_id)
                                      .order_by(Person.id).offset(100).limit(1)) or \
            db.session.scalar(select(func.min(Person.id)).where(Person.institution_id == inst_id))
        surname = db.session.scalar(select(func.substr(Person.name, 1, 1)).where(Person.id == person_id)) or "王"
        number = db.session.scalar(select(Person.id_number).where(Person.id == person_id)) or "420101"
        staff = db.session.scalar(select(func.count(Person.id)).where(Person.institution_id == inst_id))
    return staff, [("人员列表（20 行）", "/people/list/"), ("人员信息查询（照片墙）", "/photowall/"),
                   (f"姓名搜索（{surname}）", f"/people/list/?q={surname}"),
                   ("证件号后 4 位", f"/people/list/?q={number[-4:]}"), ("证件号后 6 位", f"/people/list/?q={number[-6:]}"),
                   ("证件号前 6 位", f"/people/list/?q={number[:6]}"),
                   ("按姓名排序、每页 100 行", "/people/list/?sort=name&size=100"),
                   ("人员详情", f"/people/show/{person_id}"),
                   ("人员标签 新增页", "/keygroups/add"), ("人员标签 选人（第 1 页）", "/keygroups/staff"),
                   (f"人员标签 选人（{surname}）", f"/keygroups/staff?q={surname}"),
                   ("人员标签 选人（证件号后 6 位）", f"/keygroups/staff?q={number[-6:]}")]


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.dir, exist_ok=True)
    url = args.database_url or "sqlite:///" + os.path.join(args.dir, "people.db")
    prepare_database(url, args.reuse)
    app = make_app(url, args.dir)

    from app.extensions import db

    with app.app_context():
        if args.reuse and data_present(args.people, args.big):
            print("复用已有数据（--reuse）", flush=True)
        else:
            if args.reuse:  # half-built or too small: start again
                db.session.remove()
                db.engine.dispose()
                prepare_database(url, reuse=False)
            build(args)
        db.session.remove()
        engine = db.engine
    counter = QueryCounter(engine)

    results = {}
    for username in (BIG_OWNER, SMALL_OWNER):
        client = login(app, username)
        staff, todo = pages(app, username)
        results[username] = (staff, [(label, url_, *measure(client, counter, url_, args.runs, args.warmup))
                                     for label, url_ in todo])

    slow = {}
    if args.slow_sql:
        client = login(app, BIG_OWNER)
        slow = {url_: slowest(client, counter, url_, args.slow_sql) for _label, url_ in pages(app, BIG_OWNER)[1]}

    big_staff, rows = results[BIG_OWNER]
    small_staff, small_rows = results[SMALL_OWNER]
    backend = url.split(":", 1)[0]
    print()
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(f"数据库 {backend}；被测机构 {big_staff} 人，对照机构 {small_staff} 人；每页预热 {args.warmup} 次、"
          f"计时 {args.runs} 次；机器负载 {load}（{os.cpu_count()} 核）")
    header = ("页面", "地址", "状态", "中位 ms", "p90 ms", "查询数", f"查询数（{small_staff} 人机构）")
    table = [header]
    for (label, url_, status, median, p90, q), small in zip(rows, small_rows, strict=True):
        small_q = small[5] if small[2] == status else f"{small[5]}（状态 {small[2]}）"
        table.append((label, url_, str(status), f"{median:.1f}", f"{p90:.1f}", q, small_q))
    widths = [max(_width(r[i]) for r in table) for i in range(len(header))]
    for i, r in enumerate(table):
        print("  ".join(_pad(cell, widths[j]) for j, cell in enumerate(r)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    for url_, statements in slow.items():
        print(f"\n{url_} 最慢的 SQL：")
        for ms, sql in statements:
            print(f"  {ms:7.1f} ms  {sql[:200]}")
    return 0


def _width(text):
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text, width):
    return text + " " * (width - _width(text))


def drop_database(url):
    """The benchmark's database goes (`--drop`): the SQLite file, or the PostgreSQL database."""
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



if __name__ == "__main__":
    sys.exit(main())
