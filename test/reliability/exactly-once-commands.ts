/**
 * Every write command a chat can send, in an order where each one acts (the 整改 item issued
 * before it is done, the measure saved by 自评 before its item is ticked), for the
 * exactly-once drill (exactly-once-drill.ts).
 */
export const SUB_GROUP = 'oc_drill_subscribe';
/** A roster name with no Feishu account yet (seeded by the drill), bound by 「绑定」. */
export const UNBOUND_NAME = '赵小满';
const UNBOUND_OPEN_ID = 'ou_drill_unbound';

export interface DrillCommand {
  /** Short English label for the evidence. */
  label: string;
  text: string;
  chatId: 'group' | 'sub';
  /** Extra mentions besides the bot's (@_user_1). */
  mentions?: Array<{ key: string; openId: string; name: string }>;
}

export const WRITE_COMMANDS: readonly DrillCommand[] = [
  { label: '录分 (score entry)', text: '录分 城东社区 6.2 8', chatId: 'group' },
  { label: '否决 (veto)', text: '否决 城东社区 发生重大安全事故', chatId: 'group' },
  { label: '完成 (task done)', text: '完成 1', chatId: 'group' },
  { label: '撤销 (task undone)', text: '撤销 1', chatId: 'group' },
  { label: '自评 (self-score with a measure)', text: '自评 城东社区 6.1 7 短板：议事会议记录不全 措施：每月固定议事日 时限：2027-06-30', chatId: 'group' },
  { label: '验收 开始 (round opened)', text: '验收 开始 年度验收 2026', chatId: 'group' },
  { label: '验收 结束 (round closed, grades frozen)', text: '验收 结束', chatId: 'group' },
  { label: '整改 下达 (rectification issued)', text: '整改 下达 城东社区 钱书记 2027-03-31 完善安全台账', chatId: 'group' },
  { label: '整改 完成 (rectification done)', text: '整改 完成 1 已整改', chatId: 'group' },
  { label: '完成事项 (unit item done)', text: '完成事项 1', chatId: 'group' },
  { label: '撤销事项 (unit item undone)', text: '撤销事项 1', chatId: 'group' },
  { label: '设目标 (target number)', text: '设目标 2027-12 社区 8', chatId: 'group' },
  { label: '绑定 (bind a member)', text: `绑定 ${UNBOUND_NAME} @_user_2`, chatId: 'group', mentions: [{ key: '@_user_2', openId: UNBOUND_OPEN_ID, name: UNBOUND_NAME }] },
  { label: '订阅 (subscribe a chat)', text: '订阅 社管中心', chatId: 'sub' },
  { label: '取消订阅 (unsubscribe)', text: '取消订阅', chatId: 'sub' },
];
