/**
 * Every Open API call the sender can make, with the permission scope it needs and why: the one
 * list docs/feishu-setup.md is checked against (test/lark/scopes.test.ts), and the one place that
 * turns a failed call into what to change in the open platform's console (`dangjian doctor`,
 * `member sync`).
 */
import { LarkApiError } from './lark-error.js';

export interface SenderEndpoint {
  method: 'GET' | 'POST' | 'PATCH';
  /** Path with `:param` placeholders. */
  path: string;
  /** Scopes of which the app needs one; empty: the bot capability is enough. */
  scopes: readonly string[];
  /** Why the bot calls it, for people (docs/feishu-setup.md). */
  why: string;
}

export const SENDER_ENDPOINTS: readonly SenderEndpoint[] = [
  { method: 'POST', path: '/open-apis/auth/v3/tenant_access_token/internal', scopes: [], why: '用 App ID 和 App Secret 换取调用凭证' },
  { method: 'POST', path: '/open-apis/im/v1/messages', scopes: ['im:message:send_as_bot'], why: '向订阅的群发送每日提醒卡片、周报和督办' },
  { method: 'POST', path: '/open-apis/im/v1/messages/:message_id/reply', scopes: ['im:message:send_as_bot'], why: '回复群里 @机器人 的命令' },
  { method: 'PATCH', path: '/open-apis/im/v1/messages/:message_id', scopes: ['im:message:send_as_bot'], why: '按下「标记完成」等按钮后原地更新卡片' },
  { method: 'POST', path: '/open-apis/im/v1/files', scopes: ['im:resource'], why: '上传「导出」生成的 Excel 文件，再以文件消息发出' },
  { method: 'GET', path: '/open-apis/im/v1/messages/:message_id/resources/:file_key', scopes: ['im:message:readonly'], why: '读取成员发给机器人的文件（自查表等 Excel）' },
  { method: 'GET', path: '/open-apis/bot/v3/info', scopes: [], why: '读取机器人自己的 open_id（识别 @机器人）' },
  { method: 'POST', path: '/open-apis/contact/v3/users/batch_get_id', scopes: ['contact:user.id:readonly'], why: 'member sync：按花名册的手机号或邮箱查到飞书用户' },
  { method: 'GET', path: '/open-apis/im/v1/chats/:chat_id/members/is_in_chat', scopes: ['im:chat:readonly'], why: 'doctor：检查机器人是否在每个订阅的群里' },
];

/** The endpoint a concrete call path matches (ids in place of `:param`). */
export function endpointOf(method: string, path: string): SenderEndpoint | undefined {
  return SENDER_ENDPOINTS.find((e) => e.method === method && new RegExp(`^${e.path.replace(/:[a-z_]+/g, '[^/]+')}$`).test(path));
}

/** Lark's answer when the app lacks a scope the call needs. */
export const MISSING_SCOPE_CODE = 99991672;

const CONSOLE = '飞书开放平台开发者后台（open.feishu.cn/app）→ 你的应用';

/** What a failed call means and which console setting fixes it, in Chinese, one or two sentences. */
export function explainLarkFailure(err: unknown): string {
  if (!(err instanceof LarkApiError)) return `意外错误：${err instanceof Error ? err.message : String(err)}`;
  const scopes = endpointOf(err.method, err.path)?.scopes ?? [];
  switch (err.code) {
    case 10003:
      return `LARK_APP_ID 不对：开放平台没有这个应用。到 ${CONSOLE} →「凭证与基础信息」复制 App ID。`;
    case 10014:
      return `LARK_APP_SECRET 不对（或已重置）。到 ${CONSOLE} →「凭证与基础信息」复制 App Secret，更新环境变量后重启。`;
    case MISSING_SCOPE_CODE:
      return `应用没有开通权限 ${scopes.join(' 或 ') || '（见飞书返回）'}。到 ${CONSOLE} →「权限管理」开通，再到「版本管理与发布」创建版本并发布。`;
    case 99991661:
    case 99991663:
      return `飞书不接受调用凭证。检查 LARK_APP_ID / LARK_APP_SECRET 是否属于同一个应用（${CONSOLE} →「凭证与基础信息」）。`;
    case 232025:
      return `应用没有启用机器人。到 ${CONSOLE} →「添加应用能力」添加「机器人」，再发布版本。`;
    default:
      if (err.httpStatus === null) return `连不上飞书（${err.errno ?? err.msg}）：检查网络和 LARK_DOMAIN。`;
      return `飞书返回错误 ${err.code}：${err.msg}`;
  }
}
