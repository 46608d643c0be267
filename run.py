"""`python run.py`: migrate, load dictionaries, seed demo data if the database is empty, serve with waitress
(the PDF font is converted in the background meanwhile)."""
from app import create_app

app = create_app()


def main():
    from app.cli import prepare_run

    print(prepare_run(app))  # the PDF font is converted in the background: the first page does not wait for it
    from waitress import serve

    host, port = app.config["HOST"], app.config["PORT"]
    print(f"卫生健康基础资源管理系统已启动：http://{host}:{port}/")
    # Behind ALLOWED_PROXIES proxies, waitress hands X-Forwarded-* through untouched (by default it removes them):
    # the app's ProxyFix reads them once, exactly as under gunicorn.
    proxied = {"clear_untrusted_proxy_headers": False} if app.config["ALLOWED_PROXIES"] else {}
    serve(app, host=host, port=port, threads=8, **proxied)


if __name__ == "__main__":
    main()
