"""机构岗位管理 and 标准岗位 through the pages: unmapped posts flagged, the mapping page (filter, highlight, 确定),
kept input, the delete guard with moving every holder, tenancy (404 for a foreign post), who edits the list."""
import datetime
import re

from sqlalchemy import func, select

from app.domain.id_number import check_digit
from app.models.org import Institution, Post, Region, StandardPost
from app.models.people import Person
from app.services import posts
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE
from tests import factories
from tests.conftest import csrf_token
from tests.views.test_chinese_ui import english_in
from tests.views.test_departments_views import box_errors, field_errors
from tests.views.test_tenancy import _fill, _pk_routes


def _inst(db, code=JIANGXIA_CODE):
    return db.session.scalar(select(Institution).where(Institution.code == code))


def _sp(db, code):
    return db.session.scalar(select(StandardPost).join(Region).where(StandardPost.code == code,
                                                                     Region.code == "420000"))


def _row(html, attr, value):
    """The <tr> of the list whose data-<attr> is value."""
    match = re.search(rf'<tr data-{attr}="{re.escape(value)}".*?</tr>', html, re.S)
    assert match, f"no row {value}"
    return match.group(0)


def _post_id(db, inst, name):
    db.session.expire_all()
    return db.session.scalar(select(Post.id).where(Post.institution_id == inst.id, Post.name == name))


def _person(db, inst, post, n):
    first17 = f"42011519800101{n:03d}"
    db.session.add(Person(institution_id=inst.id, name=f"王五{n}", id_type="01", id_number=first17 + check_digit(first17),
                          post_id=post.id, status="在岗"))
    db.session.commit()


def _province_client(db, login_as):
    user = factories.account("hubei_admin", role="区域管理员", region=factories.region("420000"), is_owner=True)
    user.certified_at = datetime.datetime.now()
    db.session.commit()
    return login_as("hubei_admin", "Good@Pw-2468")


# ---- 机构岗位 ------------------------------------------------------------------------------------------------------

def test_list_flags_unmapped_posts_and_the_missing_mapped_post(db, login_as):
    inst = _inst(db)
    c = login_as("inst_admin")
    page = c.get("/posts/list/").get_data(as_text=True)
    assert "本机构还没有岗位" in page and "还不能批量导入人员" in page

    nurse = posts.create(inst.id, name="护理", category="专业技术岗")
    posts.create(inst.id, name="后勤", category="工勤技能岗")
    page = c.get("/posts/list/").get_data(as_text=True)
    assert "还不能批量导入人员" in page
    posts.set_mapping(inst.id, nurse.id, _sp(db, "ZJ06").id)
    page = c.get("/posts/list/").get_data(as_text=True)
    assert "还不能批量导入人员" not in page
    assert "有 1 个岗位尚未完成映射" in page
    mapped, unmapped = _row(page, "post", "护理"), _row(page, "post", "后勤")
    assert 'data-mapped="yes"' in mapped and "护士" in mapped and "ZJ06" in mapped and "未映射" not in mapped
    assert 'data-mapped="no"' in unmapped and "unmapped-flag" in unmapped and "未映射" in unmapped
    assert "岗位名称清单" in page
    assert english_in(page) == []


def test_add_goes_to_mapping_and_a_refused_form_keeps_what_was_typed(db, login_as):
    inst = _inst(db)
    posts.create(inst.id, name="全科医生", category="专业技术岗")
    c = login_as("inst_admin")
    token = csrf_token(c, "/posts/add")
    assert english_in(c.get("/posts/add").get_data(as_text=True)) == []
    resp = c.post("/posts/add", data={"csrf_token": token, "name": " 全科医生 ", "category": "",
                                      "description": "负责门诊", "status": "停用"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert field_errors(html) == {"name": ["岗位名称“全科医生”在本机构已存在"],
                                  "category": ["岗位类别须从下拉列表中选择：专业技术岗、管理岗、工勤技能岗"]}
    assert 'id="form-errors"' not in html  # each refusal is under its input, none above the form
    marked = re.findall(r'<div class="form-group has-error">\s*<label[^>]*for="(\w+)"', html)
    assert marked == ["name", "category"]  # the inputs refused are marked, the others not
    assert 'value=" 全科医生 "' in html and "负责门诊</textarea>" in html
    assert '<option selected value="停用">' in html

    resp = c.post("/posts/add", data={"csrf_token": token, "name": "护理", "category": "专业技术岗",
                                      "description": "", "status": "正常"})
    new_id = _post_id(db, inst, "护理")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/posts/mapping/{new_id}")

    resp = c.post(f"/posts/edit/{new_id}", data={"csrf_token": token, "name": "护" * 51, "category": "管理岗",
                                                 "description": "", "status": "正常"})
    assert field_errors(resp.get_data(as_text=True)) == {"name": ["岗位名称不能超过 50 个字（现在 51 个字）"]}
    resp = c.post(f"/posts/edit/{new_id}", data={"csrf_token": token, "name": "护理岗", "category": "专业技术岗",
                                                 "description": "病房护理", "status": "停用"})
    assert resp.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Post, new_id)
    assert (saved.name, saved.description, saved.active) == ("护理岗", "病房护理", False)
    c.post(f"/posts/toggle/{new_id}", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Post, new_id).active is True


def test_mapping_page_filters_highlights_and_saves(db, login_as):
    inst = _inst(db)
    post = posts.create(inst.id, name="门诊医生", category="专业技术岗")
    c = login_as("inst_admin")
    page = c.get(f"/posts/mapping/{post.id}?q=医师").get_data(as_text=True)
    assert english_in(page) == []
    assert "该行变为深色即代表已选中" in page and 'value="医师"' in page
    rows = dict(re.findall(r'<tr data-id="(\d+)"[^>]*?class="[^"]*"( hidden)?>', page))
    shown = {sp_id for sp_id, hidden in rows.items() if not hidden}
    names = {str(_sp(db, code).id) for code in ("ZJ01", "ZJ02", "ZJ03", "ZJ04")}
    assert shown == names and len(rows) == len(posts.STANDARD_POSTS)  # the others are there, hidden
    assert "显示 4 个" in page and "已选择：<strong>无</strong>" in page

    token = csrf_token(c, f"/posts/mapping/{post.id}")
    resp = c.post(f"/posts/mapping/{post.id}", data={"csrf_token": token, "q": "医师"})
    html = resp.get_data(as_text=True)
    assert field_errors(html)["standard_post_id"][0].startswith("请在列表中选择一个标准岗位")
    assert 'value="医师"' in html  # the filter typed is kept

    clinical = _sp(db, "ZJ01")
    resp = c.post(f"/posts/mapping/{post.id}", data={"csrf_token": token, "standard_post_id": str(clinical.id)})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, post.id).standard_post_id == clinical.id
    assert "已映射到标准岗位“临床医师”（ZJ01）" in c.get("/posts/list/").get_data(as_text=True)

    # the chosen row is highlighted and marked for screen readers
    page = c.get(f"/posts/mapping/{post.id}").get_data(as_text=True)
    row = re.search(rf'<tr data-id="{clinical.id}".*?</tr>', page, re.S).group(0)
    assert 'class="sp-chosen"' in row and "checked" in row and "（已选中）" in row
    assert page.count("（已选中）</span>") == 1
    assert "已选择：<strong>临床医师（ZJ01）</strong>" in page


def test_deleting_a_held_post_offers_to_move_everyone_then_deletes_in_one_step(db, login_as):
    inst = _inst(db)
    old = posts.create(inst.id, name="护理员", category="工勤技能岗")
    new = posts.create(inst.id, name="护士", category="专业技术岗")
    old_id = old.id
    for n in range(3):
        _person(db, inst, old, n)
    c = login_as("inst_admin")
    page = c.get(f"/posts/delete/{old.id}").get_data(as_text=True)
    assert "岗位“护理员”下还有 3 名人员，不能直接删除" in page and "转移人员并删除岗位" in page
    assert f'<option value="{new.id}"' in page and f'<option value="{old.id}"' not in page
    assert english_in(page) == []
    token = csrf_token(c, f"/posts/delete/{old.id}")

    resp = c.post(f"/posts/delete/{old.id}", data={"csrf_token": token})  # a forced delete is refused
    assert resp.headers["Location"].endswith(f"/posts/delete/{old.id}")  # back to the page that says why
    assert "3 名人员" in c.get(resp.headers["Location"]).get_data(as_text=True)
    assert _post_id(db, inst, "护理员") == old.id

    resp = c.post(f"/posts/move/{old.id}", data={"csrf_token": token, "target": "", "then": "delete"})
    assert field_errors(resp.get_data(as_text=True)) == {"target": ["请选择要转移到的岗位"]}
    resp = c.post(f"/posts/move/{old.id}", data={"csrf_token": token, "target": str(new.id), "then": "delete"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, old_id) is None
    assert db.session.scalar(select(func.count(Person.id)).where(Person.post_id == new.id)) == 3
    assert "已把 3 名人员转移到岗位“护士”，岗位“护理员”已删除" in c.get("/posts/list/").get_data(as_text=True)

    empty = posts.create(inst.id, name="临时岗", category="管理岗")
    assert "确认删除" in c.get(f"/posts/delete/{empty.id}").get_data(as_text=True)
    assert c.post(f"/posts/delete/{empty.id}", data={"csrf_token": token}).status_code == 302
    assert _post_id(db, inst, "临时岗") is None


def test_a_foreign_post_id_answers_404_on_every_route_and_changes_nothing(app, db, login_as):
    own = posts.create(_inst(db).id, name="护理", category="专业技术岗")
    foreign = posts.create(_inst(db, WUCHANG_CODE).id, name="药房", category="专业技术岗")
    _person(db, _inst(db, WUCHANG_CODE), foreign, 7)
    c = login_as("inst_admin")
    token = csrf_token(c, "/posts/list/")
    assert c.get(f"/posts/edit/{own.id}").status_code == 200
    from app.extensions import appbuilder

    view = next(v for v in appbuilder.baseviews if v.route_base == "/posts")
    checked = 0
    for rule in _pk_routes(app, view.endpoint):
        for url in _fill(app, rule, foreign.id, view):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                data = {"csrf_token": token, "target": str(own.id), "then": "delete", "name": "改名",
                        "category": "管理岗", "standard_post_id": str(_sp(db, "ZJ08").id)}
                resp = c.get(url) if method == "GET" else c.post(url, data=data)
                assert resp.status_code == 404, (method, url, resp.status_code)
                checked += 1
    assert checked >= 8
    db.session.expire_all()
    kept = db.session.get(Post, foreign.id)
    assert (kept.name, kept.standard_post_id, kept.active) == ("药房", None, True)
    assert db.session.scalar(select(Person.post_id).where(Person.institution_id == kept.institution_id,
                                                         Person.post_id.is_not(None))) == foreign.id
    assert "药房" not in c.get("/posts/list/").get_data(as_text=True)
    # 系统管理员 belongs to no institution: the page says so and offers nothing
    admin = login_as("sysadmin01")
    page = admin.get("/posts/list/").get_data(as_text=True)
    assert "当前账号不属于任何机构" in page and "药房" not in page and english_in(page) == []
    assert admin.get(f"/posts/edit/{foreign.id}").status_code == 404
    assert "不能新增岗位" in admin.get(admin.get("/posts/add").headers["Location"]).get_data(as_text=True)
    # regional accounts have no 机构岗位管理 page; institution accounts no 标准岗位 page
    assert login_as("region_admin").get("/posts/list/").status_code == 403
    assert c.get("/standardposts/list/").status_code == 403


# ---- 标准岗位 ------------------------------------------------------------------------------------------------------

def test_county_admin_sees_the_province_list_read_only(db, login_as):
    c = login_as("region_admin")
    page = c.get("/standardposts/list/").get_data(as_text=True)
    assert english_in(page) == []
    assert "只读" in page and "本标准岗位列表由湖北省维护" in page and "江夏区" in page
    assert 'data-code="ZJ01"' in page and "临床医师" in page
    assert "/standardposts/add" not in page and "/standardposts/edit/" not in page and "/standardposts/toggle/" not in page

    nurse = _sp(db, "ZJ06")
    token = csrf_token(c, "/account/password/")
    resp = c.get("/standardposts/add")
    assert resp.status_code == 302
    assert "本账号只能查看，不能新增或修改" in c.get(resp.headers["Location"]).get_data(as_text=True)
    c.post("/standardposts/add", data={"csrf_token": token, "code": "X1", "name": "健康管理师", "category": "专业技术岗",
                                       "status": "正常"})
    c.post(f"/standardposts/edit/{nurse.id}", data={"csrf_token": token, "code": "ZJ06", "name": "护师",
                                                    "category": "专业技术岗", "status": "正常"})
    c.post(f"/standardposts/toggle/{nurse.id}", data={"csrf_token": token})
    db.session.expire_all()
    assert (_sp(db, "ZJ06").name, _sp(db, "ZJ06").active) == ("护士", True)
    assert db.session.scalar(select(func.count(StandardPost.id))) == len(posts.STANDARD_POSTS)

    filtered = c.get("/standardposts/list/?q=工勤").get_data(as_text=True)
    assert re.findall(r'data-code="([^"]+)"', filtered) == ["GQ01", "GQ02", "GQ03"]


def test_mapped_counts_cover_only_the_callers_region(db, login_as):
    for code in (JIANGXIA_CODE, WUCHANG_CODE):
        inst = _inst(db, code)
        post = posts.create(inst.id, name="护理", category="专业技术岗")
        posts.set_mapping(inst.id, post.id, _sp(db, "ZJ06").id)

    def count(client):
        row = _row(client.get("/standardposts/list/").get_data(as_text=True), "code", "ZJ06")
        return re.findall(r"<td>(\d+)</td>", row)

    assert count(login_as("region_admin")) == ["1"]  # 江夏区 only; the 武昌区 centre is outside its region
    assert count(login_as("sysadmin01")) == ["2"]


def test_province_account_edits_the_list_and_a_refused_form_keeps_the_input(db, login_as):
    c = _province_client(db, login_as)
    page = c.get("/standardposts/list/").get_data(as_text=True)
    assert "只读" not in page and "/standardposts/add" in page and "适用于湖北省及其下级区域的全部机构" in page
    token = csrf_token(c, "/standardposts/add")
    assert english_in(c.get("/standardposts/add").get_data(as_text=True)) == []
    resp = c.post("/standardposts/add", data={"csrf_token": token, "code": "zj01", "name": "健康管理师",
                                              "category": "专业技术岗", "status": "正常"})
    html = resp.get_data(as_text=True)
    assert field_errors(html) == {"code": ["编码“ZJ01”在湖北省的标准岗位中已存在"]}
    assert 'value="zj01"' in html and 'value="健康管理师"' in html
    resp = c.post("/standardposts/add", data={"csrf_token": token, "code": "zj14", "name": "健康管理师",
                                              "category": "专业技术岗", "status": "正常"})
    assert resp.status_code == 302
    assert 'data-code="ZJ14"' in c.get("/standardposts/list/").get_data(as_text=True)

    # disabling an entry flags the institution posts mapped to it
    inst = _inst(db)
    post = posts.create(inst.id, name="护理", category="专业技术岗")
    nurse = _sp(db, "ZJ06")
    posts.set_mapping(inst.id, post.id, nurse.id)
    assert c.post(f"/standardposts/toggle/{nurse.id}", data={"csrf_token": token}).status_code == 302
    assert "已映射到它的 1 个机构岗位将标为需要重新映射" in c.get("/standardposts/list/").get_data(as_text=True)
    owner_page = login_as("inst_admin").get("/posts/list/").get_data(as_text=True)
    assert "映射的标准岗位已停用，请重新映射" in _row(owner_page, "post", "护理")
    mapping = login_as("inst_admin").get(f"/posts/mapping/{post.id}").get_data(as_text=True)
    assert f'<tr data-id="{nurse.id}"' not in mapping  # a disabled entry is not offered


def test_sysadmin_edits_any_list_through_the_region_chooser(db, login_as):
    c = login_as("sysadmin01")
    page = c.get("/standardposts/list/").get_data(as_text=True)
    assert english_in(page) == []
    assert '<option value="420000" selected>' in page and "/standardposts/add?region=420000" in page
    token = csrf_token(c, "/standardposts/list/")
    nurse = _sp(db, "ZJ06")
    edit = c.get(f"/standardposts/edit/{nurse.id}").get_data(as_text=True)
    assert 'value="护士"' in edit and english_in(edit) == []
    resp = c.post(f"/standardposts/edit/{nurse.id}", data={"csrf_token": token, "code": "ZJ06", "name": "护士（师）",
                                                           "category": "专业技术岗", "status": "正常"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/standardposts/list/?region=420000")
    db.session.expire_all()
    assert _sp(db, "ZJ06").name == "护士（师）"


def test_moving_the_holders_only_keeps_the_post_and_comes_back_to_its_page(db, login_as):
    inst = _inst(db)
    old = posts.create(inst.id, name="护理员", category="工勤技能岗")
    new = posts.create(inst.id, name="护士", category="专业技术岗")
    for n in range(2):
        _person(db, inst, old, n)
    c = login_as("inst_admin")
    token = csrf_token(c, f"/posts/delete/{old.id}")
    resp = c.post(f"/posts/move/{old.id}", data={"csrf_token": token, "target": str(new.id), "then": "move"})
    assert resp.headers["Location"].endswith(f"/posts/delete/{old.id}")
    page = c.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已把 2 名人员从岗位“护理员”转移到“护士”" in page
    assert "确认删除" in page and "不能删除" not in page  # now empty: the plain confirmation
    # moving again: nobody is left; the refusal is about the whole unit, so it stands above the page
    page = c.post(f"/posts/move/{old.id}", data={"csrf_token": token, "target": str(new.id), "then": "move"}
                  ).get_data(as_text=True)
    assert box_errors(page) == ["岗位“护理员”下没有人员，无需转移"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Person.id)).where(Person.post_id == new.id)) == 2
    assert db.session.get(Post, old.id) is not None
