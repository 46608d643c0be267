"""flask commands. They call services only."""
import json
import time

import click
from flask import current_app

from app.extensions import appbuilder, db
from app.services import audit, dictionaries, pdf, posts, seed


def run_setup(demo: bool = False, people: int = 0) -> dict:
    """Migrate to the newest schema, create roles and permissions, load dictionaries, seed. Idempotent."""
    from flask_migrate import upgrade

    from app.security.roles import sync_roles

    upgrade()
    pdf.ensure_font()  # once per machine (about 40 s): no request ever waits for the font conversion
    result = {}
    with audit.acting_as("系统初始化"):
        sync_roles(appbuilder)
        result["dictionary_rows"] = dictionaries.load_dictionaries()
        result["regions"] = dictionaries.load_regions()
        result["standard_posts"] = posts.seed_standard_posts()
        if demo or people:
            result.update(seed.seed_demo())
        if people:
            started = time.perf_counter()
            result["people_created"] = seed.seed_people(people)
            result["people_seconds"] = round(time.perf_counter() - started, 2)
    db.session.remove()
    return result


def register_cli(app):
    @app.cli.command("setup")
    @click.option("--demo", is_flag=True, help="创建演示区域、机构与账号")
    @click.option("--people", type=int, default=0, help="在江夏区演示机构生成 N 名合成人员")
    def setup_command(demo, people):
        """迁移数据库、加载字典、（可选）生成演示数据。可重复执行。"""
        result = run_setup(demo=demo, people=people)
        click.echo(json.dumps(result, ensure_ascii=False))
        if demo:
            click.echo(demo_accounts_text(current_app))


def demo_accounts_text(app) -> str:
    lines = [f"演示账号（密码 {seed.DEMO_PASSWORD}）："]
    for username, nickname, role, *_rest, demo_pw in seed.DEMO_ACCOUNTS:
        pw = "" if demo_pw else f"（默认密码 {app.config['DEFAULT_PASSWORD']}，首次登录须修改）"
        lines.append(f"  {username:<12} {role:<6} {nickname}{pw}")
    return "\n".join(lines)
