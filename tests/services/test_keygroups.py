"""人员标签管理 (spec 4.3): key-staff groups — name rules, members of the own institution only, 封存/启用."""
import pytest
from sqlalchemy import select

from app.domain.errors import DomainError, ValidationFailed
from app.models.org import Institution
from app.models.people import KeyGroup, Person
from app.services import keygroups
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE, synthetic_id


def _inst(db, code):
    return db.session.scalar(select(Institution).where(Institution.code == code))


def _people(db, inst, *names, start=0, status="在岗"):
    rows = [Person(institution_id=inst.id, name=n, id_type="01", id_number=synthetic_id(start + i), status=status)
            for i, n in enumerate(names)]
    db.session.add_all(rows)
    db.session.commit()
    return rows


@pytest.fixture
def home(db):
    return _inst(db, JIANGXIA_CODE)


@pytest.fixture
def other(db):
    return _inst(db, WUCHANG_CODE)


def test_create_with_members_and_count(db, home):
    a, b = _people(db, home, "张三", "李四")
    group = keygroups.create(home.id, name=" 急救骨干 ", description="院前急救", member_ids=[str(a.id), str(b.id)])
    assert group.name == "急救骨干" and group.institution_id == home.id
    assert {p.name for p in group.members} == {"张三", "李四"}
    assert keygroups.groups_with_counts(home.id) == [(group, 2)]


@pytest.mark.parametrize("name, fragment", [
    ("", "名称不能为空"), ("   ", "名称不能为空"), ("组" * 51, "名称不能超过 50 个字"),
])
def test_name_rules(db, home, name, fragment):
    with pytest.raises(ValidationFailed) as exc:
        keygroups.create(home.id, name=name)
    assert any(fragment in e for e in exc.value.errors)


def test_name_of_fifty_characters_is_accepted(db, home):
    assert keygroups.create(home.id, name="组" * 50).name == "组" * 50


def test_name_unique_within_the_institution_only(db, home, other):
    keygroups.create(home.id, name="党员先锋")
    with pytest.raises(ValidationFailed, match="名称“党员先锋”在本机构已存在"):
        keygroups.create(home.id, name="党员先锋")
    assert keygroups.create(other.id, name="党员先锋").institution_id == other.id  # another institution may
    group = keygroups.create(home.id, name="青年骨干")
    keygroups.archive(home.id, group.id)
    with pytest.raises(ValidationFailed, match="含已封存的组"):  # archived groups keep their name
        keygroups.create(home.id, name="青年骨干")


def test_renaming_to_its_own_name_is_fine(db, home):
    group = keygroups.create(home.id, name="质控小组")
    assert keygroups.update(home.id, group.id, name="质控小组", description="新说明").description == "新说明"


def test_foreign_members_are_refused_with_every_error_at_once(db, home, other):
    (mine,) = _people(db, home, "王五")
    (theirs,) = _people(db, other, "赵六", start=100)
    with pytest.raises(ValidationFailed) as exc:
        keygroups.create(home.id, name="", description="x" * 501, member_ids=[mine.id, theirs.id, "abc"])
    text = "；".join(exc.value.errors)
    for fragment in ("名称不能为空", "说明不能超过 500 个字", "有 1 人不是本机构的人员", "组成员须从本机构的人员中选择"):
        assert fragment in text
    assert db.session.scalar(select(KeyGroup.id)) is None
    with pytest.raises(ValidationFailed, match="不是本机构的人员"):
        keygroups.create(home.id, name="外援", member_ids=[theirs.id])
    with pytest.raises(ValidationFailed, match="不是本机构的人员"):
        keygroups.create(home.id, name="查无此人", member_ids=[999999])


def test_update_replaces_members(db, home):
    a, b, c = _people(db, home, "甲一", "乙二", "丙三")
    group = keygroups.create(home.id, name="夜班", member_ids=[a.id, b.id])
    keygroups.update(home.id, group.id, name="夜班", member_ids=[c.id, c.id])
    db.session.expire_all()
    assert [p.name for p in db.session.get(KeyGroup, group.id).members] == ["丙三"]


def test_archive_hides_from_pickers_and_makes_read_only_until_reopened(db, home):
    (a,) = _people(db, home, "孙七")
    group = keygroups.create(home.id, name="应急队", member_ids=[a.id])
    kept = keygroups.create(home.id, name="家庭医生团队")
    keygroups.archive(home.id, group.id)
    assert keygroups.active_groups(home.id) == [kept]
    assert [(g.name, n) for g, n in keygroups.groups_with_counts(home.id)] == [("家庭医生团队", 0), ("应急队", 1)]
    with pytest.raises(DomainError, match="已封存，不能修改；如需修改，请先点击“启用”"):
        keygroups.update(home.id, group.id, name="应急队二", member_ids=[])
    with pytest.raises(DomainError, match="已封存，不能删除"):
        keygroups.delete(home.id, group.id)
    with pytest.raises(DomainError, match="已经是封存状态"):
        keygroups.archive(home.id, group.id)
    db.session.expire_all()
    assert db.session.get(KeyGroup, group.id).name == "应急队" and len(db.session.get(KeyGroup, group.id).members) == 1

    keygroups.reopen(home.id, group.id)
    assert {g.name for g in keygroups.active_groups(home.id)} == {"应急队", "家庭医生团队"}
    assert keygroups.update(home.id, group.id, name="应急队二", member_ids=[]).name == "应急队二"
    with pytest.raises(DomainError, match="没有封存"):
        keygroups.reopen(home.id, group.id)


def test_another_institution_cannot_reach_a_group(db, home, other):
    group = keygroups.create(home.id, name="院感小组")
    assert keygroups.get(other.id, group.id) is None and keygroups.get(None, group.id) is None
    for call in (lambda: keygroups.update(other.id, group.id, name="x"), lambda: keygroups.archive(other.id, group.id),
                 lambda: keygroups.reopen(other.id, group.id), lambda: keygroups.delete(other.id, group.id)):
        with pytest.raises(keygroups.GroupNotFound):
            call()
    assert keygroups.active_groups(other.id) == []


def test_delete_keeps_the_people(db, home):
    (a,) = _people(db, home, "周八")
    group = keygroups.create(home.id, name="临时组", member_ids=[a.id])
    assert keygroups.delete(home.id, group.id) == "临时组"
    assert db.session.get(KeyGroup, group.id) is None and db.session.get(Person, a.id) is not None


def test_picker_searches_serving_staff_and_keeps_chosen_members_who_left(db, home, other):
    serving, = _people(db, home, "在岗甲")
    left, = _people(db, home, "离职乙", start=50, status="离职")
    _people(db, other, "外院丙", start=100)
    found, total, page, notice = keygroups.search_staff(home.id)
    assert [p.name for p in found] == ["在岗甲"] and total == 1 and page == 1 and notice is None
    # a current member who has since left stays in the chosen list (editing never drops them silently)
    chosen = keygroups.chosen_people(home.id, [str(left.id), str(serving.id)])
    assert {p.name for p in chosen} == {"在岗甲", "离职乙"}
    assert keygroups.chosen_people(home.id, ["junk"]) == []
