"""机构岗位 and 标准岗位 rules without HTTP: the seeded province list, which list applies where, who may edit it,
post fields and uniqueness, mapping, has/require_mapped_post, the delete guard and moving every holder at once."""
import pytest
from sqlalchemy import func, select

from app.domain.errors import DomainError, ValidationFailed
from app.domain.id_number import check_digit
from app.models.org import Institution, Post, Region, StandardPost
from app.models.people import Person
from app.models.security import User
from app.services import posts
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE
from tests import factories


def _inst(db, code=JIANGXIA_CODE):
    return db.session.scalar(select(Institution).where(Institution.code == code))


def _user(db, username):
    return db.session.scalar(select(User).where(User.username == username))


def _region(db, code):
    return db.session.scalar(select(Region).where(Region.code == code))


def _sp(db, code, region_code="420000"):
    return db.session.scalar(select(StandardPost).join(Region).where(StandardPost.code == code,
                                                                     Region.code == region_code))


def _id_number(n):
    first17 = f"42011519800101{n:03d}"
    return first17 + check_digit(first17)


def _person(db, inst, post, n):
    p = Person(institution_id=inst.id, name=f"李四{n}", id_type="01", id_number=_id_number(n), post_id=post.id,
               status="在岗")
    db.session.add(p)
    db.session.commit()
    return p


def _post(inst, name, category="专业技术岗", **kw):
    return posts.create(inst.id, name=name, category=category, **kw)


def _province_account(db):
    return factories.account("hubei_admin", role="区域管理员", region=factories.region("420000"), is_owner=True)


# ---- the seeded list ---------------------------------------------------------------------------------------------

def test_setup_seeded_the_province_list_and_seeding_again_adds_nothing(db):
    province = _region(db, "420000")
    entries = posts.standard_posts(province)
    assert len(entries) == len(posts.STANDARD_POSTS) >= 20
    by_name = {sp.name: sp for sp in entries}
    assert by_name["临床医师"].category == "专业技术岗" and by_name["乡村医生"].code == "ZJ05"
    assert by_name["科室主任"].category == "管理岗" and by_name["驾驶员"].category == "工勤技能岗"
    assert {sp.category for sp in entries} == set(posts.CATEGORIES)
    ranks = [posts.CATEGORIES.index(sp.category) for sp in entries]
    assert ranks == sorted(ranks) and entries[0].code == "ZJ01"  # 专业技术岗, 管理岗, 工勤技能岗; then by code
    assert posts.seed_standard_posts() == 0

    # an operator's change survives a second seeding; a missing code comes back
    by_name["护士"].name = "护士（护师）"
    db.session.delete(by_name["驾驶员"])
    db.session.commit()
    assert posts.seed_standard_posts() == 1
    names = {sp.name for sp in posts.standard_posts(province)}
    assert "护士（护师）" in names and "护士" not in names and "驾驶员" in names


def test_the_province_list_applies_below_until_a_nearer_region_keeps_its_own(db):
    inst = _inst(db)
    assert posts.list_region_for_institution(inst.id).code == "420000"
    assert posts.list_region(_region(db, "420115")).code == "420000"
    sysadmin = _user(db, "sysadmin01")
    wuhan = _region(db, "420100")
    posts.create_standard_post(sysadmin, wuhan, code="wh01", name="家庭医生", category="专业技术岗")
    assert posts.list_region_for_institution(inst.id).code == "420100"
    assert [sp.code for sp in posts.standard_posts_for_institution(inst.id)] == ["WH01"]  # code kept upper-case
    assert posts.list_region_for_institution(_inst(db, WUCHANG_CODE).id).code == "420100"  # also in 武汉市
    assert posts.list_region(_region(db, "420000")).code == "420000"  # the province still sees its own


def test_text_filter_matches_code_name_and_category(db):
    province = _region(db, "420000")
    assert [sp.name for sp in posts.standard_posts(province, query="医师")] == [
        "临床医师", "口腔医师", "中医医师", "公共卫生医师"]
    assert [sp.code for sp in posts.standard_posts(province, query="gq")] == ["GQ01", "GQ02", "GQ03"]
    assert {sp.category for sp in posts.standard_posts(province, query="管理岗")} == {"管理岗"}
    assert [sp.name for sp in posts.standard_posts(province, query="专业技术岗 护")] == ["护士"]
    assert posts.standard_posts(province, query="没有这个") == []


# ---- who may edit the standard list ------------------------------------------------------------------------------

def test_only_the_owning_region_and_sysadmin_may_edit_the_list(db):
    province = _region(db, "420000")
    county_admin = _user(db, "region_admin")
    assert posts.list_region_for_user(county_admin).code == "420000"
    assert posts.can_edit_standard_posts(county_admin, province) is False
    assert posts.can_edit_standard_posts(_user(db, "inst_admin"), province) is False
    assert posts.can_edit_standard_posts(_user(db, "sysadmin01"), province) is True
    hubei = _province_account(db)
    assert posts.can_edit_standard_posts(hubei, province) is True

    with pytest.raises(DomainError, match="标准岗位由湖北省统一维护，本账号只能查看"):
        posts.create_standard_post(county_admin, province, code="X1", name="健康管理师", category="专业技术岗")
    nurse = _sp(db, "ZJ06")
    with pytest.raises(DomainError, match="只能查看"):
        posts.update_standard_post(county_admin, nurse, code="ZJ06", name="护师", category="专业技术岗")
    with pytest.raises(DomainError, match="只能查看"):
        posts.set_standard_post_active(county_admin, nurse, False)
    db.session.expire_all()
    assert (nurse.name, nurse.active) == ("护士", True)

    added = posts.create_standard_post(hubei, province, code="ZJ14", name="健康管理师", category="专业技术岗")
    assert (added.region_id, added.active) == (province.id, True)
    posts.update_standard_post(_user(db, "sysadmin01"), nurse, code="ZJ06", name="护师", category="专业技术岗",
                               active=True)
    assert _sp(db, "ZJ06").name == "护师"


def test_a_county_that_does_not_own_the_list_cannot_start_editing_it_after_a_city_takes_over(db):
    wuhan = _region(db, "420100")
    posts.create_standard_post(_user(db, "sysadmin01"), wuhan, code="WH01", name="家庭医生", category="专业技术岗")
    county_admin = _user(db, "region_admin")
    assert posts.list_region_for_user(county_admin).code == "420100"
    assert posts.can_edit_standard_posts(county_admin, wuhan) is False
    city = factories.account("wuhan_admin", role="区域管理员", region=wuhan, is_owner=True)
    assert posts.can_edit_standard_posts(city, wuhan) is True


def test_standard_post_codes_are_unique_within_the_region_and_every_error_is_listed(db):
    hubei = _province_account(db)
    province = _region(db, "420000")
    with pytest.raises(ValidationFailed) as exc:
        posts.create_standard_post(hubei, province, code=" zj01 ", name="护士", category="医生岗")
    assert exc.value.errors == ["编码“ZJ01”在湖北省的标准岗位中已存在",
                                "名称“护士”在湖北省的标准岗位中已存在（编码 ZJ06）",
                                "岗位类别须从下拉列表中选择：专业技术岗、管理岗、工勤技能岗"]
    with pytest.raises(ValidationFailed) as exc:
        posts.create_standard_post(hubei, province, code="编码一", name="", category="管理岗")
    assert exc.value.errors == ["编码只能包含英文字母、数字、短横线（-）和下划线（_）", "名称不能为空"]
    with pytest.raises(ValidationFailed, match="编码不能超过 20 个字符"):
        posts.create_standard_post(hubei, province, code="A" * 21, name="甲", category="管理岗")
    # the same code in another region's list is fine
    wuhan_entry = posts.create_standard_post(_user(db, "sysadmin01"), _region(db, "420100"), code="ZJ01",
                                             name="临床医师", category="专业技术岗")
    assert wuhan_entry.code == "ZJ01"
    # an entry keeps its own code when edited
    posts.update_standard_post(hubei, _sp(db, "ZJ01"), code="ZJ01", name="临床执业医师", category="专业技术岗")
    assert _sp(db, "ZJ01").name == "临床执业医师"


# ---- posts -------------------------------------------------------------------------------------------------------

def test_post_name_is_trimmed_unique_in_the_institution_and_at_most_50_characters(db):
    inst, other = _inst(db), _inst(db, WUCHANG_CODE)
    doctor = _post(inst, "  全科医生 ", description="  门诊  ")
    assert (doctor.name, doctor.description, doctor.active, doctor.standard_post_id) == ("全科医生", "门诊", True, None)
    with pytest.raises(ValidationFailed) as exc:
        _post(inst, "全科医生 ")
    assert exc.value.errors == ["岗位名称“全科医生”在本机构已存在"]
    assert _post(other, "全科医生").institution_id == other.id  # another institution may use the name
    nurse = _post(inst, "护士")
    with pytest.raises(ValidationFailed, match="岗位名称“全科医生”在本机构已存在"):
        posts.update(inst.id, nurse.id, name="全科医生", category="专业技术岗")
    posts.update(inst.id, doctor.id, name="全科医生", category="管理岗", description="", active=False)
    db.session.expire_all()
    assert (db.session.get(Post, doctor.id).category, db.session.get(Post, doctor.id).active) == ("管理岗", False)
    assert db.session.get(Post, doctor.id).description is None
    with pytest.raises(ValidationFailed, match="岗位名称不能超过 50 个字（现在 51 个字）"):
        _post(inst, "岗" * 51)
    assert _post(inst, "岗" * 50).name == "岗" * 50


def test_every_problem_of_a_post_form_is_reported_at_once(db):
    inst = _inst(db)
    with pytest.raises(ValidationFailed) as exc:
        posts.create(inst.id, name="  ", category="", description="说" * 501)
    assert exc.value.errors == ["岗位名称不能为空", "岗位类别须从下拉列表中选择：专业技术岗、管理岗、工勤技能岗",
                                "说明不能超过 500 个字"]
    assert db.session.scalar(select(func.count(Post.id)).where(Post.institution_id == inst.id)) == 0
    with pytest.raises(DomainError, match="只有机构账号可以维护机构岗位"):
        posts.create(None, name="护士", category="专业技术岗")


def test_post_names_for_import_templates(db):
    inst = _inst(db)
    _post(inst, "护士")
    _post(inst, "院长", category="管理岗")
    driver = _post(inst, "司机", category="工勤技能岗")
    _post(_inst(db, WUCHANG_CODE), "药剂师")
    assert posts.post_names(inst.id) == ["护士", "院长", "司机"]  # 专业技术岗, 管理岗, 工勤技能岗
    posts.set_active(inst.id, driver.id, False)
    assert posts.post_names(inst.id) == ["护士", "院长"]
    assert posts.post_names(inst.id, active_only=False) == ["护士", "院长", "司机"]


def test_a_post_of_another_institution_is_not_found(db):
    inst, other = _inst(db), _inst(db, WUCHANG_CODE)
    foreign = _post(other, "护士")
    assert posts.get(inst.id, foreign.id) is None
    for call in (lambda: posts.update(inst.id, foreign.id, name="x", category="管理岗"),
                 lambda: posts.set_active(inst.id, foreign.id, False),
                 lambda: posts.set_mapping(inst.id, foreign.id, _sp(db, "ZJ06").id),
                 lambda: posts.delete(inst.id, foreign.id),
                 lambda: posts.move_staff(inst.id, foreign.id, foreign.id)):
        with pytest.raises(DomainError, match="岗位不存在或不属于本机构"):
            call()
    db.session.expire_all()
    assert (foreign.name, foreign.active, foreign.standard_post_id) == ("护士", True, None)


# ---- mapping and the import precondition -------------------------------------------------------------------------

def test_mapping_and_the_batch_import_precondition(db):
    inst = _inst(db)
    assert posts.has_mapped_post(inst.id) is False
    with pytest.raises(DomainError) as exc:
        posts.require_mapped_post(inst.id)
    assert exc.value.message == ("本机构还没有已映射到标准岗位的岗位：请先在“机构信息管理 → 机构岗位管理”中新增岗位并完成映射，"
                                 "再批量导入人员")

    nurse = _post(inst, "护理")
    assert posts.has_mapped_post(inst.id) is False  # a post alone is not enough
    assert posts.mapping_problem(nurse) == "未映射"
    posts.set_mapping(inst.id, nurse.id, _sp(db, "ZJ06").id)
    assert db.session.get(Post, nurse.id).standard_post.name == "护士"
    assert posts.has_mapped_post(inst.id) is True
    posts.require_mapped_post(inst.id)  # no error
    assert posts.has_mapped_post(_inst(db, WUCHANG_CODE).id) is False  # per institution

    # re-mapping replaces the choice
    posts.set_mapping(inst.id, nurse.id, str(_sp(db, "ZJ07").id))
    assert db.session.get(Post, nurse.id).standard_post.code == "ZJ07"

    # a disabled post, or a post mapped to a disabled standard post, does not count
    posts.set_active(inst.id, nurse.id, False)
    assert posts.has_mapped_post(inst.id) is False
    posts.set_active(inst.id, nurse.id, True)
    posts.set_standard_post_active(_user(db, "sysadmin01"), _sp(db, "ZJ07"), False)
    db.session.expire_all()
    assert posts.has_mapped_post(inst.id) is False
    assert posts.mapping_problem(db.session.get(Post, nurse.id)) == "映射的标准岗位已停用，请重新映射"
    assert [r.mapped for r in posts.rows(inst.id)] == [False]


def test_mapping_accepts_only_an_enabled_entry_of_the_list_that_applies(db):
    inst = _inst(db)
    nurse = _post(inst, "护理")
    with pytest.raises(ValidationFailed, match="请在列表中选择一个标准岗位"):
        posts.set_mapping(inst.id, nurse.id, "")
    other_list = posts.create_standard_post(_user(db, "sysadmin01"), _other_province(db),
                                            code="ZJ06", name="护士", category="专业技术岗")
    for bad in (other_list.id, "abc", 999999):
        with pytest.raises(ValidationFailed, match="所选标准岗位不在本地区的标准岗位列表中"):
            posts.set_mapping(inst.id, nurse.id, bad)
    posts.set_standard_post_active(_user(db, "sysadmin01"), _sp(db, "ZJ06"), False)
    with pytest.raises(ValidationFailed, match="标准岗位“护士”已停用，不能映射"):
        posts.set_mapping(inst.id, nurse.id, _sp(db, "ZJ06").id)
    db.session.expire_all()
    assert db.session.get(Post, nurse.id).standard_post_id is None
    assert [sp.code for sp in posts.standard_posts_for_institution(inst.id, query="护")] == []  # disabled: hidden


def _other_province(db):
    region = Region(code="430000", name="湖南省", level=1, path="/430000/")
    db.session.add(region)
    db.session.commit()
    return region


# ---- delete guard and moving the holders -------------------------------------------------------------------------

def test_a_post_that_staff_hold_cannot_be_deleted_and_the_message_counts_them(db):
    inst = _inst(db)
    old = _post(inst, "护理员")
    for n in range(3):
        _person(db, inst, old, n)
    assert posts.staff_counts(inst.id) == {old.id: 3}
    with pytest.raises(posts.DeleteBlocked) as exc:
        posts.delete(inst.id, old.id)
    assert exc.value.staff == 3
    assert exc.value.errors == ["岗位“护理员”下还有 3 名人员，不能直接删除；请先把这些人员转移到本机构的其他岗位"
                                "（可在下方一次全部转移并删除），以免人员的岗位被清空"]
    db.session.expire_all()
    assert db.session.get(Post, old.id) is not None
    assert db.session.scalar(select(func.count(Person.id)).where(Person.post_id == old.id)) == 3

    empty = _post(inst, "临时岗")
    assert posts.delete(inst.id, empty.id) == "临时岗"
    assert db.session.get(Post, empty.id) is None


def test_move_all_holders_and_delete_in_one_transaction(db):
    inst = _inst(db)
    old, new = _post(inst, "护理员"), _post(inst, "护士")
    people = [_person(db, inst, old, n) for n in range(4)]
    moved, target = posts.move_staff(inst.id, old.id, str(new.id), and_delete=True)
    assert (moved, target.id) == (4, new.id)
    db.session.expire_all()
    assert db.session.get(Post, old.id) is None
    assert {db.session.get(Person, p.id).post_id for p in people} == {new.id}  # nobody lost a post


def test_move_only_keeps_the_post_and_bad_targets_change_nothing(db):
    inst = _inst(db)
    old, new, off = _post(inst, "护理员"), _post(inst, "护士"), _post(inst, "停用岗", active=False)
    foreign = _post(_inst(db, WUCHANG_CODE), "护士")
    people = [_person(db, inst, old, n) for n in range(2)]
    for target, message in (("", "请选择要转移到的岗位"), (foreign.id, "要转移到的岗位不存在或不属于本机构"),
                            (old.id, "不能转移到同一个岗位"), (off.id, "岗位“停用岗”已停用，不能把人员转移到停用的岗位")):
        with pytest.raises(ValidationFailed, match=message):
            posts.move_staff(inst.id, old.id, target, and_delete=True)
        db.session.expire_all()
        assert db.session.get(Post, old.id) is not None
        assert {db.session.get(Person, p.id).post_id for p in people} == {old.id}
    assert [p.name for p in posts.move_targets(old)] == ["护士"]  # enabled posts of the same institution only

    assert posts.move_staff(inst.id, old.id, new.id)[0] == 2
    db.session.expire_all()
    assert db.session.get(Post, old.id) is not None
    assert posts.staff_counts(inst.id) == {new.id: 2}
    with pytest.raises(ValidationFailed, match="岗位“护理员”下没有人员，无需转移"):
        posts.move_staff(inst.id, old.id, new.id)


def test_move_and_delete_is_all_or_nothing_when_the_delete_fails(db, monkeypatch):
    inst = _inst(db)
    old, new = _post(inst, "护理员"), _post(inst, "护士")
    people = [_person(db, inst, old, n) for n in range(2)]
    real_delete = db.session.delete

    def failing_delete(obj):
        if isinstance(obj, Post):
            raise RuntimeError("simulated failure")
        return real_delete(obj)

    monkeypatch.setattr(db.session, "delete", failing_delete)
    with pytest.raises(RuntimeError):
        posts.move_staff(inst.id, old.id, new.id, and_delete=True)
    db.session.rollback()
    monkeypatch.undo()
    db.session.expire_all()
    assert db.session.get(Post, old.id) is not None
    assert {db.session.get(Person, p.id).post_id for p in people} == {old.id}


def test_a_save_racing_past_the_name_check_is_refused_on_the_name_field(db, monkeypatch):
    """The unique constraint catches what the check could not see yet: the refusal names the field, nothing stays."""
    inst = _inst(db)
    posts.create(inst.id, name="药剂", category="专业技术岗")
    monkeypatch.setattr(posts, "_check", lambda inst, current, *, name, category, description: (name, description))
    with pytest.raises(ValidationFailed) as refused:
        posts.create(inst.id, name="药剂", category="专业技术岗")
    assert refused.value.of("name") == ["岗位名称“药剂”在本机构已存在，请刷新后重试"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Post.id)).where(Post.name == "药剂")) == 1


def test_a_post_save_racing_past_the_version_check_ends_in_the_edit_conflict(db):
    from sqlalchemy.orm import Session

    from app.domain.errors import EditConflict
    from app.services import audit

    inst = _inst(db)
    post = posts.create(inst.id, name="药剂", category="专业技术岗")
    opened = post.version
    with Session(db.engine) as other, audit.acting_as("inst_staff"):  # another clerk's save lands first
        other.get(Post, post.id).description = "调剂"
        other.commit()
    with pytest.raises(EditConflict) as caught:  # this session still holds the old row: the check passes
        posts.update(inst.id, post.id, name="药剂科", category="专业技术岗", version=opened)
    assert caught.value.errors[0].startswith("该记录已被 inst_staff 于")
    db.session.expire_all()
    assert (db.session.get(Post, post.id).name, db.session.get(Post, post.id).description) == ("药剂", "调剂")
