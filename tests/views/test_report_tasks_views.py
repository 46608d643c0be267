"""上报任务 through the pages: 区域管理 → 上报任务 (list with 上报率, 发布任务 refused with messages under the fields,
a task's page with the not-reported list and 催报), 应急资源管理 → 我的上报任务, the home page's panel; each side 403 on
the other's page, a task of another region 404."""
import datetime

from sqlalchemy import func, select

from app.models.org import Institution, Region
from app.models.report_tasks import ReportReminder, ReportTask, ReportTaskInstitution
from app.services import report_tasks as svc
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE
from tests.conftest import csrf_token
from tests.services.test_emergency_reports import _user
from tests.services.test_report_tasks import TODAY, _entry, _publish

LIST = "/reporttasks/list/"
ADD = "/reporttasks/add"
MINE = "/mytasks/list/"


def test_region_admin_publishes_from_the_form_and_refusals_stay_next_to_their_fields(db, login_as):
    client = login_as("region_admin")
    home = client.get("/subsystem/1").status_code
    assert home in (200, 302)
    page = client.get(LIST).get_data(as_text=True)
    assert "还没有发布上报任务" in page and "发布任务" in page
    form = client.get(ADD).get_data(as_text=True)
    assert "物资日消耗上报" in form and "机构能力上报" in form and "武汉市江夏区示例街道社区卫生服务中心" in form
    assert "武昌" not in form  # not in scope: not offered
    data = {"title": "口罩日报", "kind": "entry:supply:daily", "target": "all", "period": "daily",
            "date_from": TODAY.isoformat(), "date_to": "", "deadline": "17:00"}
    refused = client.post(ADD, data={**data, "csrf_token": csrf_token(client, ADD)})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200 and 'data-field="date_to">请填写结束日期' in text and 'value="口罩日报"' in text
    done = client.post(ADD, data={**data, "date_to": (TODAY + datetime.timedelta(days=3)).isoformat(),
                                  "csrf_token": csrf_token(client, ADD)}, follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "已发布，共 2 家机构" in text and 'id="task-rate">0/2' in text
    assert "武汉市江夏区示例街道社区卫生服务中心" in text and "武汉市江夏区示例镇卫生院" in text
    listing = client.get(LIST).get_data(as_text=True)
    assert "口罩日报" in listing and "0/2" in listing and "物资日消耗上报" in listing


def test_remind_post_flashes_the_count_and_the_institution_sees_it(db, login_as):
    task = _publish(db)
    _entry(db, JIANGXIA_CODE, TODAY)
    client = login_as("region_admin")
    show = f"/reporttasks/show/{task.id}"
    page = client.get(show).get_data(as_text=True)
    assert 'id="task-rate">1/2' in page and "催报" in page
    yesterday = (TODAY - datetime.timedelta(days=1)).isoformat()
    picked = client.get(f"{show}?period={yesterday}").get_data(as_text=True)  # the period picker
    assert 'id="task-rate">0/2' in picked and f'value="{yesterday}" selected' in picked
    assert client.post(f"/reporttasks/remind/{task.id}", data={"period": TODAY.isoformat()}).status_code == 400
    resp = client.post(f"/reporttasks/remind/{task.id}",
                       data={"period": TODAY.isoformat(), "csrf_token": csrf_token(client, show)},
                       follow_redirects=True)
    assert "已向 1 家机构发送催报" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ReportReminder)) == 1

    inst3 = login_as("inst3_admin")
    home = inst3.get("/").get_data(as_text=True)
    assert 'id="home-tasks"' in home and "催报" in home and "物资日消耗" in home and "/supplies/daily/list/" in home
    mine = inst3.get(MINE).get_data(as_text=True)
    assert "催报提醒" in mine and "未上报" in mine and "已被催报" in mine and "去上报" in mine
    reported = login_as("inst_admin")
    assert 'id="home-tasks"' not in reported.get("/").get_data(as_text=True)  # its task is reported today
    assert "已上报" in reported.get(MINE).get_data(as_text=True)


def test_each_side_is_refused_the_other_sides_page(db, login_as):
    assert login_as("inst_admin").get(LIST).status_code == 403
    assert login_as("inst_admin").get(ADD).status_code == 403
    assert login_as("region_admin").get(MINE).status_code == 403
    assert 'id="home-tasks"' not in login_as("region_admin").get("/").get_data(as_text=True)
    _publish(db, title="能力上报", kind="report:capacity", period="once", date_from=TODAY.isoformat())
    assert "id=\"home-tasks\"" in login_as("inst_admin").get("/").get_data(as_text=True)
    staff = login_as("inst_staff")  # same institution, without the 我的上报任务 right: no panel, no page
    assert 'id="home-tasks"' not in staff.get("/").get_data(as_text=True) and staff.get(MINE).status_code == 403


def test_a_task_of_another_region_is_not_found(db, login_as):
    wuchang = db.session.scalar(select(Institution).where(Institution.code == WUCHANG_CODE))
    region = db.session.scalar(select(Region).where(Region.code == "420106"))
    task = ReportTask(title="武昌任务", kind="report:capacity", target="all", period="once", date_from=TODAY,
                      deadline="17:00", region_id=region.id, active=True,
                      institutions=[ReportTaskInstitution(institution_id=wuchang.id)])
    db.session.add(task)
    db.session.commit()
    client = login_as("region_admin")
    assert client.get(f"/reporttasks/show/{task.id}").status_code == 404
    token = csrf_token(client, LIST)
    assert client.post(f"/reporttasks/remind/{task.id}", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/reporttasks/withdraw/{task.id}", data={"csrf_token": token}).status_code == 404
    assert "武昌任务" not in client.get(LIST).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ReportReminder)) == 0
    db.session.expire_all()
    assert svc.get(_user(db, "sysadmin01"), task.id).active
