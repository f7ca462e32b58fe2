/**
 * Segregation of duties (issue 11): with server.separate_approvers, whoever started a run
 * cannot answer its approvals through the server, whatever roles their token has; another
 * approver can. Without the setting, an operator that is also an approver may.
 */
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { newToken } from '../src/access/tokens.js';
import type { Role } from '../src/access/roles.js';
import { openStore } from '../src/store/open.js';
import { json, killServers, project, serve } from './serve-helpers.js';

afterEach(killServers);

const GATE = "import { workflow } from 'baton';\nexport default workflow({ name: 'gate' }, async (ctx) => {\n  await ctx.approval('go-live', { prompt: 'Ship it?' });\n  return ctx.summary('shipped');\n});\n";

async function tokens(dir: string, ...sets: Role[][]): Promise<Array<Record<string, string>>> {
  const store = openStore(path.join(dir, '.baton', 'baton.db'));
  try {
    const out: Array<Record<string, string>> = [];
    for (const roles of sets) {
      const made = newToken();
      await store.access.addToken({ id: made.id, roles, namespace: 'default', hash: made.hash, created_at: Date.now(), created_by: 'test' });
      out.push({ authorization: `Bearer ${made.token}`, 'content-type': 'application/json' });
    }
    return out;
  } finally {
    await store.close();
  }
}

for (const separate of [true, false]) {
  it(`${separate ? 'refuses' : 'lets'} the starter approve ${separate ? 'with' : 'without'} server.separate_approvers`, async () => {
    const dir = project({ 'gate.ts': GATE, 'baton.config.yaml': `store: .baton/baton.db\nserver:\n  separate_approvers: ${separate}\n` });
    const [starter, other] = await tokens(dir, ['operator', 'approver'], ['approver']);
    const s = await serve(dir);
    const started = await json(await fetch(`${s.base}/api/workflows/gate/runs`, { method: 'POST', headers: starter, body: '{}' }));
    expect(started.status).toBe(201);
    const id = started.body.run_id as string;
    // Until the run waits for its approval.
    for (let i = 0; i < 100; i++) {
      const run = await json(await fetch(`${s.base}/api/runs/${id}`, { headers: starter }));
      if (run.body.status === 'waiting') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const own = await json(await fetch(`${s.base}/api/runs/${id}/approvals/go-live`, { method: 'POST', headers: starter, body: JSON.stringify({ approved: true, comment: 'mine' }) }));
    if (separate) {
      expect([own.status, (own.body.error as { code: string }).code]).toEqual([403, 'APPROVAL_BY_STARTER']);
      const theirs = await json(await fetch(`${s.base}/api/runs/${id}/approvals/go-live`, { method: 'POST', headers: other, body: JSON.stringify({ approved: true, comment: 'checked' }) }));
      expect(theirs.status).toBe(200);
    } else {
      expect(own.status).toBe(200);
    }
    const store = openStore(path.join(dir, '.baton', 'baton.db'));
    try {
      const answers = await store.access.listAudit({ action: 'approval.answer' });
      expect(answers.map((e) => e.outcome)).toEqual(separate ? ['ok', 'refused'] : ['ok']);
      expect(answers[0].detail).toMatchObject({ approved: true, comment: separate ? 'checked' : 'mine' });
    } finally {
      await store.close();
    }
  }, 60_000);
}
