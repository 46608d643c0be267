"""Small builders for rows the demo data does not have."""
from sqlalchemy import select

from app.domain.uscc import check_char
from app.extensions import db
from app.models.org import Institution, Region
from app.services import accounts

_counter = {"n": 0}


def region(code):
    return db.session.scalar(select(Region).where(Region.code == code))


def institution(name=None, region_code="420115", **kw):
    _counter["n"] += 1
    n = _counter["n"]
    first17 = f"12{region_code}MB{n:07d}"  # 1 机构编制, 2 事业单位: a valid 统一社会信用代码
    inst = Institution(code=kw.pop("code", first17 + check_char(first17)), name=name or f"测试卫生院{n}",
                       region=region(region_code), kind=kw.pop("kind", "乡镇卫生院"), **kw)
    db.session.add(inst)
    db.session.commit()
    return inst


def account(username, role="机构总账号", institution=None, password="Good@Pw-2468", must_change=False, **kw):
    user = accounts.create_account(username, username, [role], institution=institution, password=password,
                                   must_change_password=must_change, **kw)
    db.session.commit()
    return user
