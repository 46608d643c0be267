"""`python run.py`: migrate, load dictionaries, seed demo data if the database is empty, serve with waitress."""
from app import create_app

app = create_app()


def main():
    from sqlalchemy import inspect, select

    from app.cli import demo_accounts_text, run_setup
    from app.extensions import db
    from app.models.org import Institution

    with app.app_context():
        empty = "institution" not in inspect(db.engine).get_table_names() or db.session.scalar(
            select(Institution.id).limit(1)) is None
        run_setup(demo=empty)
        print(demo_accounts_text(app))
    from waitress import serve

    host, port = app.config["HOST"], app.config["PORT"]
    print(f"卫生健康基础资源管理系统已启动：http://{host}:{port}/")
    # Behind ALLOWED_PROXIES proxies, waitress hands X-Forwarded-* through untouched (by default it removes them):
    # the app's ProxyFix reads them once, exactly as under gunicorn.
    proxied = {"clear_untrusted_proxy_headers": False} if app.config["ALLOWED_PROXIES"] else {}
    serve(app, host=host, port=port, threads=8, **proxied)


if __name__ == "__main__":
    main()
