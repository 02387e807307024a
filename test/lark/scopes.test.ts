/**
 * The permission scopes docs/feishu-setup.md asks for stay true to the code: every Open API path
 * the sender can call is in src/lark/scopes.ts, and every scope that table names (and every path)
 * is in the document's table.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { endpointOf, SENDER_ENDPOINTS } from '../../src/lark/scopes.js';
import { REPO_ROOT } from '../support/cli.js';

const sender = readFileSync(join(REPO_ROOT, 'src/lark/sender.ts'), 'utf8');
const doc = readFileSync(join(REPO_ROOT, 'docs/feishu-setup.md'), 'utf8');

/** `const path = '…'` or `` `…${id}…` `` in the sender, with `${x}` turned into `:param`. */
function senderPaths(): string[] {
  return [...sender.matchAll(/const path = ['`]([^'`]+)['`]/g)].map((m) => m[1]!.replace(/\$\{[^}]+\}/g, ':id'));
}

describe('permission scopes', () => {
  it('lists every path the sender calls', () => {
    const paths = senderPaths();
    expect(paths.length).toBeGreaterThanOrEqual(8);
    for (const p of paths) {
      const concrete = p.replace(/:id/g, 'x1');
      expect(SENDER_ENDPOINTS.some((e) => endpointOf(e.method, concrete) === e), p).toBe(true);
    }
    expect(SENDER_ENDPOINTS).toHaveLength(new Set(paths).size);
  });

  it('docs/feishu-setup.md names every scope and every endpoint in its table, and no scope the code does not use', () => {
    const table = doc.slice(doc.indexOf('| scope |'), doc.indexOf('Calls that need no scope'));
    const needed = new Set(SENDER_ENDPOINTS.flatMap((e) => e.scopes));
    for (const scope of needed) expect(table, scope).toContain(`| \`${scope}\` |`);
    for (const e of SENDER_ENDPOINTS.filter((x) => x.scopes.length > 0)) expect(table, e.path).toContain(`\`${e.method} ${e.path}\``);
    for (const e of SENDER_ENDPOINTS.filter((x) => x.scopes.length === 0)) expect(doc, e.path).toContain(`\`${e.method} ${e.path}\``);
    const documented = [...table.matchAll(/^\| `([a-z0-9:._]+)` \|/gm)].map((m) => m[1]!);
    // The two event scopes are for receiving, not for the sender's calls.
    const events = ['im:message.group_at_msg:readonly', 'im:message.p2p_msg:readonly'];
    expect(documented.sort()).toEqual([...needed, ...events].sort());
  });
});
