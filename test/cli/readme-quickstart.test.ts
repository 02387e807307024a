/**
 * The README's set-up runs verbatim on a fresh database (every `node bin/dangjian.js` line of its
 * first set-up block, in order, through the real CLI program), and then the office member it bound
 * enters a score with 录分 through the webhook: real HTTP in, the real sender out to the fake Lark.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config/config.js';
import { listAudit } from '../../src/db/audit.repository.js';
import { openDatabase } from '../../src/db/database.js';
import { latestScores } from '../../src/db/score.repository.js';
import { findUnitByName } from '../../src/db/unit.repository.js';
import { silentLogger } from '../../src/log.js';
import { startService, type RunningService } from '../../src/runtime/service.js';
import { encryptBody, messageEvent, signedHeaders } from '../bot/lark-events.js';
import { REPO_ROOT, runCliInProcess, tempDbFile } from '../support/cli.js';
import { startFakeLark, type FakeLark } from '../support/fake-lark-server.js';

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

/** How the README runs the CLI (the fastest form: no npm or npx start-up in front of it). */
const CLI = 'node bin/dangjian.js ';

/**
 * The commands of the first sh block after "First set up the programme", in order. Every line of
 * the block is a CLI command (a line in any other form fails the test instead of being skipped).
 */
function quickStart(): string[][] {
  const from = readme.indexOf('First set up the programme');
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(from))![1]!;
  const lines = block
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  for (const line of lines) expect(line.startsWith(CLI), `README quick-start line not in the form "${CLI}…": ${line}`).toBe(true);
  return lines.map((l) => l.slice(CLI.length).split(/\s+/));
}

describe('the README quick start', () => {
  let fake: FakeLark | undefined;
  let service: RunningService | undefined;
  afterAll(async () => {
    await service?.stop();
    await fake?.close();
  });

  it('runs verbatim on a fresh database; the office it binds then enters a score through the webhook', async () => {
    const db = tempDbFile();
    const commands = quickStart();
    expect(commands.map((c) => c.slice(0, 2).join(' '))).toEqual(['init --year', 'member bind', 'unit add', 'member add', 'chat bind']);
    for (const args of commands) {
      const r = await runCliInProcess([...args, '--db', db]);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.code, args.join(' ')).toBe(0);
    }
    const bind = commands.find((c) => c[0] === 'member' && c[1] === 'bind')!;
    const officeOpenId = bind[bind.indexOf('--open-id') + 1]!;
    const chat = commands.find((c) => c[0] === 'chat')!;
    const chatId = chat[chat.indexOf('--chat') + 1]!;

    const botOpenId = 'ou_bot_quickstart';
    fake = await startFakeLark({ botOpenId });
    const ENCRYPT_KEY = 'quickstart-key';
    const TOKEN = 'quickstart-token';
    const config = readConfig({ LARK_MODE: 'webhook', LARK_APP_ID: fake.appId, LARK_APP_SECRET: fake.appSecret, LARK_DOMAIN: fake.url, LARK_ENCRYPT_KEY: ENCRYPT_KEY, LARK_VERIFICATION_TOKEN: TOKEN, PORT: '0', DB_FILE: db });
    service = await startService(config, silentLogger, { scheduler: false });
    const until = Date.now() + 3000;
    while (!fake.received.some((r) => r.path === '/open-apis/bot/v3/info') && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    fake.addInboundMessage({ messageId: 'om_qs_1', chatId });
    const payload = messageEvent({ eventId: 'ev_qs_1', messageId: 'om_qs_1', chatId, senderOpenId: officeOpenId, text: '@_user_1 录分 城东社区 6.2 8', mentions: [{ key: '@_user_1', openId: botOpenId, name: '党建助手' }], token: TOKEN });
    const raw = JSON.stringify(encryptBody(payload, ENCRYPT_KEY));
    const res = await fetch(`${service.url}/webhook/event`, { method: 'POST', body: raw, headers: { 'content-type': 'application/json', ...signedHeaders(raw, ENCRYPT_KEY, Math.floor(Date.now() / 1000)) } });
    expect(res.status).toBe(200);
    await service.idle();
    const reply = fake.messages.find((m) => m.parentId === 'om_qs_1');
    const text = JSON.stringify(reply?.content);
    expect(text).toContain('城东社区');
    expect(text).toContain('6.2');

    const opened = openDatabase(db);
    try {
      const unit = (await findUnitByName(opened.db, '城东社区'))!;
      const year = new Date().getFullYear();
      expect(await latestScores(opened.db, year, [unit.id])).toEqual([{ unit_id: unit.id, item_code: '6.2', points: 8 }]);
      expect((await listAudit(opened.db, { limit: 5 })).find((a) => a.action === 'score.set')).toMatchObject({ actor: '党建办主任', source: 'chat', outcome: 'ok' });
    } finally {
      await opened.close();
    }
  });
});
