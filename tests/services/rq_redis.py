"""The Redis database of the RQ tests (test_import_jobs_rq*.py): one per test run, so two runs at once (two
checkouts, a SQLite and a PostgreSQL run) never empty each other's "imports" queue.

- REDIS_URL naming a database other than 0 (redis://127.0.0.1:6379/7): that one, as chosen for this run.
- Otherwise (no REDIS_URL; CI's redis://…/0, which the app's rate limits use): the first of databases 14, 13, … 1,
  15 that no other run holds, at REDIS_URL's host (else 127.0.0.1:6379).

Either way the run marks its database with a claim key (expiring after CLAIM_SECONDS, deleted when the run ends), so
a claiming run skips a database another run uses. Without a reachable Redis: database 15 (the tests then fail as
they would anyway)."""
import atexit
import os
import socket
import urllib.parse
import uuid

CLAIM_KEY = "rq-tests:claimed-by"
CLAIM_SECONDS = 3 * 3600
DEFAULT = "redis://127.0.0.1:6379/0"
_claimed: str | None = None  # the URL of this run's database, once claimed


def _with_db(url: str, number: int) -> str:
    return urllib.parse.urlsplit(url)._replace(path=f"/{number}").geturl()


def _db_of(url: str) -> int:
    path = urllib.parse.urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else 0


def redis_url() -> str:
    """This run's Redis database for the RQ tests (claimed on first use)."""
    global _claimed
    if _claimed is None:
        _claimed = _claim(os.environ.get("REDIS_URL") or DEFAULT)
    return _claimed


def _claim(base: str) -> str:
    from redis import Redis
    from redis.exceptions import RedisError

    me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    chosen = _db_of(base)
    candidates = [chosen] if chosen else [*range(14, 0, -1), 15]  # 15 last: older checkouts use it unclaimed
    for number in candidates:
        url = _with_db(base, number)
        connection = Redis.from_url(url, socket_connect_timeout=2)
        try:
            taken = not connection.set(CLAIM_KEY, me, nx=True, ex=CLAIM_SECONDS)
            if taken and not chosen:
                continue
            if taken:  # named by REDIS_URL: used anyway, and marked ours while we run
                connection.set(CLAIM_KEY, me, ex=CLAIM_SECONDS)
        except RedisError:
            return _with_db(base, chosen or 15)
        finally:
            connection.close()
        atexit.register(_release, url, me)
        return url
    raise RuntimeError("RQ tests: every Redis database 1-15 is claimed by another test run")


def _release(url: str, me: str) -> None:
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        connection = Redis.from_url(url, socket_connect_timeout=2)
        if connection.get(CLAIM_KEY) == me.encode():
            connection.delete(CLAIM_KEY)
        connection.close()
    except RedisError:
        pass
