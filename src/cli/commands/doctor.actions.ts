/** What the doctor commands do (their definitions: ./doctor.ts); loaded only when one of them runs. */
import { accessSync, constants, existsSync } from 'node:fs';
import { readConfig, type Config } from '../../config/config.js';
import { listChats, type ChatRecord } from '../../db/chat.repository.js';
import { describeLocation, isPostgresUrl, openDatabaseAt, type AnyOpenedDatabase } from '../../db/database.js';

const ROLLED_BACK = new Error('rolled back');
import { listMembers } from '../../db/member.repository.js';
import { migrator } from '../../db/migrate.js';
import { getProgramme } from '../../db/setting.repository.js';
import { UserError } from '../../errors.js';
import { chatTargetLabel } from '../../cards/labels.js';
import { silentLogger } from '../../log.js';
import type { CommonOptions } from '../context.js';
import { cliIo } from '../io.js';

type Outcome = 'ok' | 'warn' | 'fail' | 'skip';

interface Check {
  name: string;
  outcome: Outcome;
  detail: string;
}

const MARK: Record<Outcome, string> = { ok: '✓', warn: '!', fail: '✗', skip: '-' };
const MODE_ZH = { ws: '长连接（LARK_MODE=ws）', webhook: '事件回调（LARK_MODE=webhook）', console: '本地控制台（没有飞书凭据）' } as const;
/** A number no one has: asking for it shows whether the contact scope is granted. */
const PROBE_MOBILE = '13000000000';

async function databaseChecks(config: Config, file: string, checks: Check[]): Promise<ChatRecord[]> {
  const onServer = isPostgresUrl(file);
  const shown = describeLocation(file);
  if (!onServer && !existsSync(file)) {
    checks.push({ name: '数据库', outcome: 'fail', detail: `数据库文件不存在：${file}。先运行 dangjian init --year YYYY（或检查 DB_FILE / --db）` });
    return [];
  }
  try {
    if (!onServer) accessSync(file, constants.R_OK | constants.W_OK);
  } catch {
    checks.push({ name: '数据库', outcome: 'fail', detail: `数据库文件 ${file} 不可写：检查文件和所在目录的权限（服务进程的用户要能写）` });
    return [];
  }
  let opened: AnyOpenedDatabase | undefined;
  try {
    opened = await openDatabaseAt(file, { applicationName: 'dangjian-doctor' });
    // Takes the write lock and gives it back: proves the file (and its -wal) can be written now;
    // on PostgreSQL a write in a transaction rolled back proves the connection and the rights.
    if (opened.dialect === 'sqlite') opened.sqlite.exec('BEGIN IMMEDIATE; ROLLBACK;');
    else await opened.db.transaction().execute(async (trx) => { await trx.insertInto('setting').values({ key: '__doctor', value: '1' }).execute(); throw ROLLED_BACK; }).catch((err: unknown) => { if (err !== ROLLED_BACK) throw err; });
    const pending = (await migrator(opened.db).getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name);
    if (pending.length > 0) {
      checks.push({ name: '数据库', outcome: 'fail', detail: `${shown} 还有 ${pending.length} 个迁移未执行（${pending.join('、')}）：运行 dangjian migrate，或启动服务时自动执行` });
      return [];
    }
    checks.push({ name: '数据库', outcome: 'ok', detail: `${shown} 可写，已是最新结构` });
    const programme = await getProgramme(opened.db);
    if (!programme) checks.push({ name: '三年行动', outcome: 'fail', detail: '尚未初始化：运行 dangjian init --year YYYY --street 街道名' });
    else checks.push({ name: '三年行动', outcome: 'ok', detail: `${programme.streetName}，第一年 ${programme.firstYear} 年` });
    const office = (await listMembers(opened.db)).filter((m) => m.role === 'office');
    const bound = office.filter((m) => m.open_id !== null);
    if (bound.length === 0) {
      checks.push({ name: '党建办账号', outcome: 'warn', detail: `党建办还没有人绑定飞书账号，群里没人能录分或订阅：dangjian member bind --name ${office[0]?.name ?? '党建办主任'} --open-id ou_…` });
    } else checks.push({ name: '党建办账号', outcome: 'ok', detail: `已绑定：${bound.map((m) => m.name).join('、')}` });
    const chats = await listChats(opened.db);
    if (chats.length === 0 && config.mode !== 'console') checks.push({ name: '订阅的群', outcome: 'warn', detail: '还没有群订阅提醒：把机器人拉进群后 @它「订阅 领导小组」，或 dangjian chat bind' });
    return chats;
  } catch (err) {
    checks.push({ name: '数据库', outcome: 'fail', detail: `无法使用 ${shown}：${err instanceof Error ? err.message : String(err)}` });
    return [];
  } finally {
    await opened?.close();
  }
}

async function larkChecks(config: Config, chats: ChatRecord[], checks: Check[]): Promise<void> {
  const lark = config.lark;
  if (!lark) {
    checks.push({ name: '飞书', outcome: 'skip', detail: '没有设置 LARK_APP_ID 和 LARK_APP_SECRET，不检查飞书（见 docs/feishu-setup.md）' });
    return;
  }
  const [{ createLarkSender }, { explainLarkFailure }] = await Promise.all([import('../../lark/sender.js'), import('../../lark/scopes.js')]);
  const sender = createLarkSender({ ...lark, log: silentLogger, retry: { maxAttempts: 2, timeoutMs: 10_000 } });
  try {
    try {
      await sender.checkCredentials();
      checks.push({ name: '飞书凭证', outcome: 'ok', detail: `应用 ${lark.appId} 取得了调用凭证（tenant_access_token），${lark.domain}` });
    } catch (err) {
      checks.push({ name: '飞书凭证', outcome: 'fail', detail: explainLarkFailure(err) });
      return;
    }
    try {
      const bot = await sender.getBotInfo();
      checks.push({ name: '机器人', outcome: 'ok', detail: `「${bot.appName ?? '（无名称）'}」，open_id ${bot.openId}` });
    } catch (err) {
      checks.push({ name: '机器人', outcome: 'fail', detail: explainLarkFailure(err) });
    }
    for (const chat of chats) {
      const name = `群 ${chat.chatId}`;
      if (!chat.chatId.startsWith('oc_')) {
        checks.push({ name, outcome: 'fail', detail: `不是飞书群的 chat_id（应以 oc_ 开头）：dangjian chat unbind --chat ${chat.chatId}，再绑定正确的群` });
        continue;
      }
      try {
        const inChat = await sender.isBotInChat(chat.chatId);
        checks.push(
          inChat
            ? { name, outcome: 'ok', detail: `机器人在群里（订阅：${chatTargetLabel(chat.target)}）` }
            : { name, outcome: 'fail', detail: `机器人不在这个群里，收不到「${chatTargetLabel(chat.target)}」的提醒：在飞书群的「设置 → 群机器人 → 添加机器人」加入本应用的机器人，或 dangjian chat unbind --chat ${chat.chatId}` },
        );
      } catch (err) {
        checks.push({ name, outcome: 'fail', detail: explainLarkFailure(err) });
      }
    }
    try {
      await sender.lookupUserIds({ mobiles: [PROBE_MOBILE], emails: [] });
      checks.push({ name: '通讯录权限', outcome: 'ok', detail: '可以按手机号或邮箱查找飞书用户（member sync 可用）' });
    } catch (err) {
      checks.push({ name: '通讯录权限', outcome: 'fail', detail: `member sync 不可用：${explainLarkFailure(err)}` });
    }
  } finally {
    await sender.close();
  }
}

export const runDoctor = async (opts: CommonOptions) => {
  const io = cliIo();
  const checks: Check[] = [];
  let config: Config | undefined;
  try {
    config = readConfig(io.env);
    const half = (['LARK_APP_ID', 'LARK_APP_SECRET'] as const).filter((v) => (io.env[v] ?? '').trim() === '');
    if (half.length === 1) {
      const other = half[0] === 'LARK_APP_ID' ? 'LARK_APP_SECRET' : 'LARK_APP_ID';
      checks.push({ name: '配置', outcome: 'fail', detail: `设置了 ${other} 却没有 ${half[0]}：两个都要设置（开发者后台「凭证与基础信息」），否则只能在本地控制台使用` });
    } else checks.push({ name: '配置', outcome: 'ok', detail: `${MODE_ZH[config.mode]}，时区 ${config.timeZone}` });
    if (config.mode === 'webhook' && config.webhook.verificationToken === undefined && config.webhook.encryptKey === undefined) {
      checks.push({ name: '事件回调', outcome: 'warn', detail: '没有设置 LARK_VERIFICATION_TOKEN 或 LARK_ENCRYPT_KEY：任何人都能向 /webhook/event 发事件。在开发者后台「事件与回调 → 加密策略」复制后设置' });
    }
  } catch (err) {
    checks.push({ name: '配置', outcome: 'fail', detail: err instanceof Error ? err.message : String(err) });
  }
  if (config) {
    const chats = await databaseChecks(config, opts.db ?? config.databaseUrl ?? config.dbFile, checks);
    await larkChecks(config, chats, checks);
  }
  const failed = checks.filter((c) => c.outcome === 'fail').length;
  if (opts.json === true) io.out(`${JSON.stringify({ ok: failed === 0, checks }, null, 2)}\n`);
  else io.out(`${checks.map((c) => `${MARK[c.outcome]} ${c.name}：${c.detail}`).join('\n')}\n`);
  if (failed > 0) throw new UserError('config', `发现 ${failed} 个问题（见上面标 ✗ 的行）`, 'doctor');
};
