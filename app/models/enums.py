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

# 开放接口: the REST API (/api/v1). Only an account with it ticked gets a token (app/security/manager.py); it has no
# menu of its own, so the web's subsystem switcher offers WEB_SUBSYSTEMS only.
API_SUBSYSTEM = "开放接口"
WEB_SUBSYSTEMS = ("基础资源管理", "应急资源管理", "试用期申报")
SUBSYSTEMS = (*WEB_SUBSYSTEMS, API_SUBSYSTEM)
