"""Sync a county's staff changed since yesterday through the REST API (issue 17), as another provincial system
would: log in with an API account (subsystem 开放接口), page through /api/v1/staff/?region=…&modified_since=…
ordered by id, and fetch each person's work experience. Standard library only; prints what it received.

    python scripts/sync_staff.py --base http://127.0.0.1:5000 --user sysadmin01 --password '…' --region 420115
    (--since 2026-11-30: another start; default yesterday 00:00; --out staff.json: write the records)
"""
import argparse
import datetime
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


class Api:
    def __init__(self, base):
        self.base, self.token, self.calls = base.rstrip("/"), None, 0

    def call(self, method, path, body=None):
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        self.calls += 1
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def login(self, username, password):
        status, body = self.call("POST", "/api/v1/security/login", {"username": username, "password": password})
        if status != 200:
            sys.exit(f"登录失败（{status}）：{body.get('message')}")
        self.token = body["access_token"]

    def pages(self, resource, params, page_size=100):
        """Every row of a list, page by page (the API orders by id, so pages neither skip nor repeat)."""
        page = 0
        while True:
            query = urllib.parse.urlencode({**params, "q": f"(page:{page},page_size:{page_size})"})
            status, body = self.call("GET", f"/api/v1/{resource}/?{query}")
            if status != 200:
                sys.exit(f"读取 {resource} 失败（{status}）：{body.get('message')}")
            yield from body["result"]
            if (page + 1) * page_size >= body["count"]:
                return
            page += 1


def main(argv=None):
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="http://127.0.0.1:5000")
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--region", required=True, help="区县代码，如 420115")
    ap.add_argument("--since", default=yesterday.isoformat(), help="修改时间不早于（默认昨天）")
    ap.add_argument("--out", help="把同步到的记录写入此 JSON 文件")
    args = ap.parse_args(argv)

    started = time.perf_counter()
    api = Api(args.base)
    api.login(args.user, args.password)
    filters = {"region": args.region, "modified_since": args.since}
    # a region or operator account reads 辖区机构; an institution's API account only its own institution
    # (names only: an account without either right syncs staff all the same, showing institution ids)
    institutions = {}
    for source in ("region_institution", "institution"):
        if api.call("GET", f"/api/v1/{source}/?q=(page_size:1)")[0] == 200:
            institutions = {i["id"]: i["name"] for i in api.pages(source, {"region": args.region})}
            break
    staff = list(api.pages("staff", filters))
    work = {}
    for row in api.pages("staff_work", filters):
        work.setdefault(row["person_id"], []).append(row)
    count = f"{len(institutions)} 个机构" if institutions else "（无权读取机构列表）"
    print(f"地区 {args.region}：{count}；{args.since} 以来新增或修改的人员 {len(staff)} 人，"
          f"工作经历 {sum(len(v) for v in work.values())} 条")
    for p in staff:
        print(f"  #{p['id']} {p['name']} {p['id_number']} {institutions.get(p['institution_id'], p['institution_id'])} "
              f"状态={p['status']} 版本={p['version']} 修改于 {p['updated_at']} 工作经历 {len(work.get(p['id'], []))} 条")
    print(f"共 {api.calls} 次请求，用时 {time.perf_counter() - started:.2f} 秒")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump({"since": args.since, "region": args.region, "staff": staff, "work": work}, f,
                      ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
