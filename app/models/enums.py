"""Choices used by several models."""

INSTITUTION_KINDS = (
    "乡镇卫生院",
    "社区卫生服务中心",
    "社区卫生服务站",
    "医院",
    "专业公共卫生机构",
    "其他医疗卫生机构",
)

REGION_LEVELS = {1: "省", 2: "市", 3: "区县"}

SUBSYSTEMS = ("基础资源管理", "应急资源管理", "试用期申报")
