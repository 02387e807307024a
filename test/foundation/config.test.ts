import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config/config.js';
import { UserError } from '../../src/errors.js';

describe('readConfig', () => {
  it('defaults to console mode, ./data/dangjian.db and Asia/Shanghai without credentials', () => {
    const c = readConfig({});
    expect(c.mode).toBe('console');
    expect(c.lark).toBeNull();
    expect(c.dbFile).toBe('./data/dangjian.db');
    expect(c.timeZone).toBe('Asia/Shanghai');
    expect(c.logLevel).toBe('info');
  });

  it('defaults to ws mode when app id and secret are set, with the credentials typed present', () => {
    const c = readConfig({ LARK_APP_ID: 'cli_0123456789abcdef', LARK_APP_SECRET: 's' });
    expect(c.mode).toBe('ws');
    if (c.mode !== 'ws') throw new Error('not ws');
    expect(c.lark).toEqual({ appId: 'cli_0123456789abcdef', appSecret: 's', domain: 'https://open.feishu.cn' });
  });

  it('webhook mode carries the port, the encrypt key and the verification token', () => {
    const c = readConfig({ LARK_MODE: 'webhook', LARK_APP_ID: 'cli_0123456789abcdef', LARK_APP_SECRET: 's', LARK_ENCRYPT_KEY: 'k', PORT: '8080' });
    if (c.mode !== 'webhook') throw new Error('not webhook');
    expect(c.webhook).toEqual({ port: 8080, encryptKey: 'k', verificationToken: undefined });
  });

  it('accepts any base URL as LARK_DOMAIN and strips a trailing slash', () => {
    const creds = { LARK_APP_ID: 'cli_0123456789abcdef', LARK_APP_SECRET: 's' };
    expect(readConfig({ ...creds, LARK_DOMAIN: 'http://127.0.0.1:4567/' }).lark?.domain).toBe('http://127.0.0.1:4567');
    expect(readConfig({ ...creds, LARK_DOMAIN: 'https://open.larksuite.com' }).lark?.domain).toBe('https://open.larksuite.com');
  });

  it.each([
    [{ LARK_MODE: 'socket' }, 'LARK_MODE'],
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DANGJIAN_TZ: 'Mars/Olympus' }, 'DANGJIAN_TZ'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ LARK_DOMAIN: 'not a url' }, 'LARK_DOMAIN'],
    [{ PLAN_FILE: '/nonexistent/plan.json' }, 'PLAN_FILE'],
  ])('rejects %o with one line naming %s', (env, variable) => {
    let error: unknown;
    try {
      readConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect(error).toMatchObject({ code: 'config', field: variable });
    const message = (error as Error).message;
    expect(message).toContain(variable);
    expect(message).toContain('expected');
    expect(message).not.toContain('\n');
  });

  it('refuses ws or webhook mode without credentials', () => {
    expect(() => readConfig({ LARK_MODE: 'webhook' })).toThrow(/LARK_APP_ID and LARK_APP_SECRET/);
  });
});

describe('readConfig: scheduler settings', () => {
  it('fills the issue 6 defaults', () => {
    const s = readConfig({}).scheduler;
    expect(s.offsets).toEqual([7, 3, 1, 0]);
    expect([s.beforeTime, s.overdueTime, s.windowStart, s.windowEnd]).toEqual(['09:00', '09:30', '08:30', '18:00']);
    expect([s.escalateAfterWorkdays, s.escalateEveryWorkdays, s.catchUpHours, s.yellowDays]).toEqual([3, 5, 24, 7]);
  });

  it.each([
    [{ REMINDER_TIME: '9am' }, 'REMINDER_TIME'],
    [{ REMINDER_OFFSETS: '7,three' }, 'REMINDER_OFFSETS'],
    [{ PUSH_WINDOW: '18:00-08:30' }, 'PUSH_WINDOW'],
  ])('stops start-up on %o with one line naming %s', (env, variable) => {
    expect(() => readConfig(env)).toThrow(UserError);
    expect(() => readConfig(env)).toThrow(new RegExp(variable));
  });
});
