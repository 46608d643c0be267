"""The server survives its database: the Chinese 503 page during an outage, /health, and the import-job recovery
that runs on first use instead of at app creation (create_app touches no database).

Installed by create_app (`install`). Nothing here renders FAB's base template or loads the user: a page about the
database being away must not need the database."""
from __future__ import annotations

import logging
import threading
import time

from flask import current_app, jsonify, request
from sqlalchemy import exc as sa_exc

from app.extensions import limiter
from app.security.sessions import from_internet
from app.services.database import database_ok, forget_failed_work

log = logging.getLogger(__name__)

UNAVAILABLE = "数据库暂时无法连接，请稍后再试"
# Connection refused or timed out, server gone, statement timeout, pool exhausted: the database is (for now) away.
OUTAGE_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)
HEALTH_RATE_LIMIT = "120 per minute"  # per address: each call opens a database (and Redis) connection
RECOVERY_RETRY_SECONDS = 30  # after a failed first-use recovery (database down), try again this much later


def install(app) -> None:
    """Register the 503 handler, /health and (RECOVER_IMPORT_JOBS) the first-use import-job recovery."""
    for error in OUTAGE_ERRORS:
        app.register_error_handler(error, database_unavailable)
    app.add_url_rule("/health", "health", limiter.limit(HEALTH_RATE_LIMIT)(health))
    if app.config.get("RECOVER_IMPORT_JOBS"):
        state = {"next": 0.0, "done": False, "lock": threading.Lock()}
        app.before_request(lambda: _recover_once(state))


def database_unavailable(error):
    """The Chinese 503 (HTML, or JSON under /api/) for a database that cannot be reached; the session's failed work
    is forgotten and the broken connection dropped, so the next request after the outage is served normally."""
    log.warning("database unavailable: %s", str(error).splitlines()[0] if str(error) else type(error).__name__)
    forget_failed_work()
    if request.path.startswith("/api/"):
        response = jsonify(message=UNAVAILABLE)
    else:
        # Straight from the Jinja environment: render_template's context processors load the user (a query).
        page = current_app.jinja_env.get_template("db_unavailable.html").render(
            app_name=current_app.config.get("APP_NAME", ""),
            retry_url=request.full_path if request.method == "GET" else "/")
        response = current_app.make_response(page)
    response.status_code = 503
    response.headers["Retry-After"] = "30"
    return response


def health():
    """JSON for load balancers and operators: database ok/error, Redis (when REDIS_URL) ok/error, the import queue's
    length and workers (with RQ). 200 when everything configured answers, else 503. Needs no login; from the
    internet only the status."""
    from app.services.imports import jobs as import_jobs

    body = {"database": "ok" if database_ok() else "error"}
    healthy = body["database"] == "ok"
    url = current_app.config.get("REDIS_URL")
    if url:
        try:
            from redis import Redis

            connection = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
            connection.ping()
            body["redis"] = "ok"
            if import_jobs.uses_queue():
                from rq import Queue, Worker

                queue = Queue(import_jobs.RQ_QUEUE, connection=connection)
                body["import_queue"] = {"queued": queue.count,
                                        "workers": Worker.count(connection=connection, queue=queue)}
        except Exception:
            log.warning("health: redis unreachable", exc_info=True)
            body["redis"] = "error"
            healthy = False
    body["status"] = "ok" if healthy else "error"
    if from_internet():  # the details are for the health network's monitoring
        body = {"status": body["status"]}
    return jsonify(body), 200 if healthy else 503


def _recover_once(state) -> None:
    """Import-job recovery on the first request of this process (retried later if the database is down); never
    fails the request."""
    if state["done"] or time.monotonic() < state["next"]:
        return
    if not state["lock"].acquire(blocking=False):
        return
    try:
        from app.services.imports import jobs as import_jobs

        import_jobs.recover_interrupted()
        state["done"] = True
    except Exception:
        log.warning("import job recovery failed; retried in %s s", RECOVERY_RETRY_SECONDS, exc_info=True)
        state["next"] = time.monotonic() + RECOVERY_RETRY_SECONDS
        forget_failed_work()
    finally:
        state["lock"].release()
