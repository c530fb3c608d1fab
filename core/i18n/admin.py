"""Strings of the admin page (layouts/admin.html reads them as t.<key>), zh and en."""

from __future__ import annotations

LANGS = ("zh", "en")

# The admin page (layouts/admin.html reads them as t.<key>): key -> (zh, en).
_ADMIN_PAIRS: dict[str, tuple[str, str]] = {
    "title": ("系统管理", "Administration"), "nav_overview": ("总览", "Overview"), "nav_wall": ("大屏", "Wall"),
    "nav_alerts": ("告警", "Alerts"), "nav_map": ("一张图", "One map"), "signed_in": ("当前用户", "Signed in as"),
    "logout": ("退出", "Sign out"),
    "users": ("用户", "Users"), "kiosks": ("大屏链接", "Kiosk links"), "tokens": ("API 令牌", "API tokens"),
    "audit": ("审计日志", "Audit log"),
    "case_rules": ("派遣规则与时限", "Dispatch table and time limits"),
    "rules_version": ("第 {v} 版，{by} 于 {at} 保存；各进程 5 秒内生效。",
                      "Version {v}, saved by {by} at {at}; every process applies it within 5 s."),
    "rules_file": ("尚未编辑：正在使用随程序发布的 config/case_rules.yaml。",
                   "Never edited: the shipped config/case_rules.yaml is in force."),
    "rules_hint": ("YAML，写法同 config/case_rules.yaml（route 的 category/event、limits_h、video_events）；"
                   "保存前校验，出错时指明条目。",
                   "YAML as config/case_rules.yaml is written (route by category or event, limits_h, "
                   "video_events); checked before it is saved, a mistake named by its entry."),
    "rules_save": ("校验并保存", "Check and save"),
    "rules_saved": ("派遣规则已保存为第 {v} 版。", "The dispatch table was saved as version {v}."),
    "rules_down": ("案件库暂不可用，无法读取派遣规则。",
                   "The case records are unavailable: the dispatch table cannot be read."),
    "username": ("用户名", "Username"),
    "display_name": ("显示名称", "Display name"),
    "role": ("角色", "Role"), "district": ("区域", "District"), "department": ("部门", "Department"),
    "department_hint": ("处置员必填", "a handler's: required"), "status": ("状态", "Status"),
    "created": ("创建时间", "Created"), "created_by": ("创建人", "Created by"), "actions": ("操作", "Actions"),
    "password": ("密码", "Password"), "pw_hint": ("留空则自动生成", "blank = generate one"),
    "whole_city": ("全市", "Whole city"), "create": ("创建用户", "Create user"), "save": ("保存", "Save"),
    "disable": ("停用", "Disable"), "enable": ("启用", "Enable"), "enabled": ("正常", "Enabled"),
    "disabled": ("已停用", "Disabled"), "reset_pw": ("重置密码", "Reset password"), "delete": ("删除", "Delete"),
    "kiosk_name": ("大屏名称", "Wall name"), "issue_kiosk": ("生成链接", "Issue link"), "revoke": ("吊销", "Revoke"),
    "user": ("用户", "User"), "token_name": ("令牌名称", "Token name"), "issue_token": ("签发令牌", "Issue token"),
    "time": ("时间", "Time"), "event": ("事件", "Event"), "actor": ("操作人", "Actor"), "details": ("详情", "Details"),
    "none_yet": ("暂无", "None yet"), "id": ("编号", "ID"), "you": ("（本人）", " (you)"),
    "pw_for": ("{name} 的新密码", "New password for {name}"),
    "kiosk_for": ("大屏“{name}”的只读链接", 'Read-only link for the wall "{name}"'),
    "token_for": ("{name} 的 API 令牌", "API token for {name}"),
    "once_note": ("请立即复制并妥善保存：此内容只显示这一次，离开本页后无法再次查看。",
                  "Copy it now and keep it safe: it is shown only this once and cannot be displayed again."),
    "kiosk_note": ("在该大屏的浏览器中打开此链接；吊销链接后该大屏即被登出。",
                   "Open this link in the wall's browser; revoking it logs that wall out."),
    "env_kiosks": ("来自环境变量的大屏链接", "Wall links from the environment"),
    "env_kiosks_note": ("这些链接的令牌在 ONESCREEN_KIOSK_TOKENS 中设置（此处只列指纹，不显示令牌）；"
                        "要吊销，请从该变量中删除并重启。",
                        "Their tokens are set in ONESCREEN_KIOSK_TOKENS (listed here by fingerprint, never shown); "
                        "to revoke one, remove it from that variable and restart."),
    "token_note": ("调用 API 时使用请求头 Authorization: Bearer <令牌>。",
                   "Send it as the header Authorization: Bearer <token>."),
    "back": ("返回管理页", "Back to administration"),
    "confirm_delete-user": ("删除用户 {target}？其 API 令牌将一并删除。",
                            "Delete user {target}? Their API tokens are deleted too."),
    "confirm_reset-password": ("为 {target} 重置密码？其当前会话将立即结束。",
                               "Reset the password of {target}? Their open sessions end at once."),
    "confirm_revoke-kiosk": ("吊销大屏链接“{target}”？使用该链接的大屏将被登出。",
                             'Revoke the kiosk link "{target}"? The wall using it is logged out.'),
    "confirm_revoke-token": ("吊销 API 令牌“{target}”？", 'Revoke the API token "{target}"?'),
    "confirm_go": ("确认", "Confirm"), "cancel": ("取消", "Cancel"),
    "created_user": ("已创建用户 {name}", "Created user {name}"),
    "updated_user": ("已更新用户 {name}（其会话已结束）", "Updated {name} (their sessions have ended)"),
    "unchanged": ("{name}：没有改动", "{name}: nothing changed"),
    "disabled_user": ("已停用 {name}", "Disabled {name}"), "enabled_user": ("已启用 {name}", "Enabled {name}"),
    "deleted_user": ("已删除用户 {name}", "Deleted user {name}"), "revoked": ("已吊销 {name}", "Revoked {name}"),
    "error": ("未保存：", "Not saved: "),
    "unavailable": ("数据存储暂时无法连接，请稍后重试。",
                    "The data store cannot be reached right now; try again shortly."),
    "denied": ("仅管理员可访问此页。", "Administrators only."),
    "role_viewer": ("查看者", "Viewer"), "role_leader": ("领导", "Leader"), "role_analyst": ("分析员", "Analyst"),
    "role_operator": ("值班员", "Operator"), "role_admin": ("管理员", "Admin"),
    "role_inspector": ("监督员", "Inspector"), "role_handler": ("处置员", "Handler"),
    "role_dispatcher": ("派遣员", "Dispatcher"),
}
ADMIN_TEXT: dict[str, dict[str, str]] = {lang: {k: v[i] for k, v in _ADMIN_PAIRS.items()}
                                         for i, lang in enumerate(LANGS)}
