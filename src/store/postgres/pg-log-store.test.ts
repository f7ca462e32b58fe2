/**
 * The PostgreSQL log store beyond the log contract (contract-logs.ts, run by
 * pg-store.test.ts): output PostgreSQL's TEXT could not hold, several processes on one
 * schema, a big log read in pages, and a database that fails under the writer.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { StoreError } from '../errors.js';
import type { LogCursor, LogLine } from '../store.js';
import { loadPg, PgDatabase } from './driver.js';
import { migratePg } from './migrate.js';
import { PgLogStore } from './pg-log-store.js';
import { PgNotifier } from './pg-notifier.js';
import { describePostgres, dropSchema, freshSchema, schemaUrl } from './test-postgres.js';

interface Opened {
  logs: PgLogStore;
  db: PgDatabase;
  notifier: PgNotifier;
  close(): Promise<void>;
}

const schemas: string[] = [];
const opened: Opened[] = [];

/** A log store in `schema` (a fresh one unless given): another store on the same schema is another process. */
function openLogs(schema = newSchema(), applicationName?: string): Opened {
  const db = new PgDatabase({ url: schemaUrl(schema), applicationName });
  db.prepare(migratePg);
  const notifier = new PgNotifier(db);
  const logs = new PgLogStore(db, notifier);
  let closed: Promise<void> | undefined;
  const store: Opened = {
    logs,
    db,
    notifier,
    close: () =>
      (closed ??= (async () => {
        try {
          await logs.close();
        } finally {
          await notifier.close();
          await db.close();
        }
      })()),
  };
  opened.push(store);
  return store;
}

function newSchema(): string {
  const schema = freshSchema();
  schemas.push(schema);
  return schema;
}

afterEach(async () => {
  vi.useRealTimers();
  for (const store of opened.splice(0)) await store.close().catch(() => undefined);
  for (const schema of schemas.splice(0)) await dropSchema(schema);
});

const texts = (lines: LogLine[]) => lines.map((l) => l.text);

describePostgres('PostgreSQL log store', () => {
  it('keeps output TEXT could not hold: NUL bytes, control characters, any Unicode', async () => {
    const { logs } = openLogs();
    const odd = [
      '\u0000',
      'before\u0000after',
      '\u0000\u0000\u0000',
      'esc \u001b[31mred\u001b[0m bell \u0007 tab\tend',
      '\\x41 looks like a bytea escape',
      "quote ' and \" and \\",
      'ünï cødé ✓ 😀 \uFFFD',
      '',
    ];
    logs.write('R1', 'a', 1, 'stdout', odd.join('\n') + '\n');
    // A character split between two chunks (a surrogate pair cut in half) is joined whole.
    logs.write('R1', 'a', 1, 'stderr', 'split \uD83D');
    logs.write('R1', 'a', 1, 'stderr', '\uDE00 pair\n');
    // A lone surrogate cannot be UTF-8: it becomes U+FFFD, as in the file store.
    logs.write('R1', 'a', 1, 'stderr', 'lone \uD83D here');
    logs.end('R1', 'a', 1);
    const { lines } = await logs.read('R1');
    expect(texts(lines)).toEqual([...odd, 'split 😀 pair', 'lone \uFFFD here']);
    expect(lines.slice(-2).map((l) => l.stream)).toEqual(['stderr', 'stderr']);
  });

  it('shows another process the lines it wrote, and wakes its watch through NOTIFY', async () => {
    const schema = newSchema();
    const writer = openLogs(schema);
    const reader = openLogs(schema);
    // The reader's connection listens before anything is written (as it does once a watch has started).
    await reader.notifier.subscribe('baton_logs', () => undefined);
    const watch = reader.logs.watch('R1');
    const other = reader.logs.watch('R2');
    try {
      const first = await reader.logs.read('R1');
      expect(first.lines).toEqual([]);
      const began = Date.now();
      writer.logs.write('R1', 'build', 1, 'stdout', 'from the writer\n');
      await watch.changed({ timeoutMs: 20_000 });
      // Woken by the notification, long before the timeout.
      expect(Date.now() - began).toBeLessThan(5_000);
      const second = await reader.logs.read('R1', { cursor: first.cursor });
      expect(texts(second.lines)).toEqual(['from the writer']);
      // Another run's watch slept through it.
      const quiet = Date.now();
      await other.changed({ timeoutMs: 100 });
      expect(Date.now() - quiet).toBeGreaterThanOrEqual(90);
      // The cursor is plain JSON: a later command follows on from it.
      writer.logs.write('R1', 'build', 1, 'stdout', 'more\n');
      await writer.logs.read('R1');
      const third = await reader.logs.read('R1', { cursor: JSON.parse(JSON.stringify(second.cursor)) as LogCursor });
      expect(texts(third.lines)).toEqual(['more']);
    } finally {
      watch.close();
      other.close();
    }
  });

  it('numbers an attempt written again (by this process or another) after its lines, losing none', async () => {
    const schema = newSchema();
    const first = openLogs(schema);
    first.logs.write('R1', 'a', 1, 'stdout', 'one\ntwo\n');
    first.logs.end('R1', 'a', 1);
    first.logs.write('R1', 'a', 1, 'stdout', 'three\n');
    await first.close();
    // A process that resumes the run writes the same attempt.
    const second = openLogs(schema);
    second.logs.write('R1', 'a', 1, 'stdout', 'four\n');
    expect(texts((await second.logs.read('R1')).lines)).toEqual(['one', 'two', 'three', 'four']);
  });

  it('reads 10,000 lines whole, by tail, from a cursor and a page at a time', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const T0 = 1_700_000_000_000;
    const { logs, db } = openLogs();
    const written: { text: string; at: number; task: string }[] = [];
    // Three tasks writing in turn, five lines a chunk, two chunks a millisecond.
    for (let i = 0; i < 10_000; i += 5) {
      const at = T0 + Math.floor(i / 10);
      vi.setSystemTime(at);
      const task = `t${(i / 5) % 3}`;
      const lines = [0, 1, 2, 3, 4].map((k) => `${task} ${i + k}`);
      logs.write('R1', task, 1, 'stdout', lines.join('\n') + '\n');
      for (const text of lines) written.push({ text, at, task });
    }
    // Lines of one millisecond come by task, then in the order written (a stable sort).
    const expected = [...written].sort((a, b) => a.at - b.at || (a.task < b.task ? -1 : a.task > b.task ? 1 : 0));
    const byTime = (await logs.read('R1')).lines;
    expect(byTime).toHaveLength(10_000);
    expect(texts(byTime)).toEqual(expected.map((l) => l.text));
    expect(byTime.map((l) => l.at)).toEqual(expected.map((l) => l.at));
    const rows = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM log_lines');
    expect(rows[0].count).toBe(10_000);

    const since = T0 + 777;
    expect(texts((await logs.read('R1', { since })).lines)).toEqual(expected.filter((l) => l.at >= since).map((l) => l.text));

    const tail = await logs.read('R1', { tail: 1_234 });
    expect(texts(tail.lines)).toEqual(texts(byTime.slice(-1_234)));
    expect(texts((await logs.read('R1', { tail: 700, task: 't1' })).lines)).toEqual(texts(byTime.filter((l) => l.task === 't1').slice(-700)));

    // Following: only what was written since, however much came before.
    expect((await logs.read('R1', { cursor: tail.cursor })).lines).toEqual([]);
    vi.setSystemTime(T0 + 5_000);
    logs.write('R1', 't2', 1, 'stdout', 'late\n');
    vi.setSystemTime(T0 + 5_001);
    logs.write('R1', 't0', 2, 'stderr', 'retry\n');
    expect(texts((await logs.read('R1', { cursor: tail.cursor })).lines)).toEqual(['late', 'retry']);
    const grown = [...texts(byTime), 'late', 'retry'];

    // Pages of 777 lines, each from the cursor the one before returned.
    const pages: string[][] = [];
    let cursor: LogCursor | undefined;
    for (let guard = 0; guard < 20; guard++) {
      const page: string[] = [];
      cursor = await logs.forEach('R1', (line) => (page.length === 777 ? false : page.push(line.text)), cursor ? { cursor } : {});
      if (page.length === 0) break;
      pages.push(page);
    }
    expect(pages.length).toBe(Math.ceil(grown.length / 777));
    expect(pages.flat()).toEqual(grown);

    // A slow reader: the next line waits for the promise the last one returned.
    let busy = false;
    let count = 0;
    await logs.forEach(
      'R1',
      async () => {
        expect(busy).toBe(false);
        busy = true;
        count++;
        if (count % 1_000 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
        else await Promise.resolve();
        busy = false;
      },
      { task: 't0' },
    );
    expect(count).toBe(grown.filter((t) => t.startsWith('t0 ')).length + 1);
  });

  it('merges many attempts by time, each read a chunk at a time', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const T0 = 1_700_000_000_000;
    const { logs } = openLogs();
    const written: { text: string; at: number; task: string; attempt: number }[] = [];
    // 300 attempts (more than a read holds a chunk of at once), lines at scattered times.
    let seed = 7;
    const random = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    const clocks = new Map<string, number>();
    for (let i = 0; i < 6_000; i++) {
      const task = `task-${Math.floor(random() * 150)}`;
      const attempt = 1 + Math.floor(random() * 2);
      const key = `${task}#${attempt}`;
      const at = (clocks.get(key) ?? T0) + Math.floor(random() * 50);
      clocks.set(key, at);
      vi.setSystemTime(at);
      logs.write('R1', task, attempt, 'stdout', `${key} ${i}\n`);
      written.push({ text: `${key} ${i}`, at, task, attempt });
    }
    const order = (a: (typeof written)[number], b: (typeof written)[number]) => a.at - b.at || (a.task < b.task ? -1 : a.task > b.task ? 1 : 0) || a.attempt - b.attempt;
    const expected = [...written].sort(order).map((l) => l.text);
    expect(texts((await logs.read('R1')).lines)).toEqual(expected);
    expect(texts((await logs.read('R1', { tail: 2_500 })).lines)).toEqual(expected.slice(-2_500));
    const since = T0 + 1_000;
    expect(texts((await logs.read('R1', { since, tail: 100 })).lines)).toEqual(
      [...written]
        .sort(order)
        .filter((l) => l.at >= since)
        .map((l) => l.text)
        .slice(-100),
    );
  });

  it('tries a batch again when the server drops its connection mid-statement, losing no lines', async () => {
    const name = `baton-logs-${freshSchema()}`;
    const schema = newSchema();
    const { logs } = openLogs(schema, name);
    logs.write('R1', 'a', 1, 'stdout', 'before\n');
    expect(texts((await logs.read('R1')).lines)).toEqual(['before']);
    const admin = new (loadPg().Client)({ connectionString: schemaUrl(schema).replace(/\?.*$/, '') });
    await admin.connect();
    try {
      // The next batch waits on a lock, and its connection is killed while it does.
      await admin.query('BEGIN');
      await admin.query(`LOCK TABLE "${schema}".log_attempts IN ACCESS EXCLUSIVE MODE`);
      logs.write('R1', 'a', 1, 'stdout', 'after\n');
      const blocked = "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'";
      let pids: { pid: number }[] = [];
      for (let guard = 0; pids.length === 0 && guard < 1_000; guard++) {
        pids = (await admin.query<{ pid: number }>(blocked, [name])).rows;
      }
      expect(pids).toHaveLength(1);
      await admin.query('SELECT pg_terminate_backend($1)', [pids[0].pid]);
      await admin.query('COMMIT');
    } finally {
      await admin.end();
    }
    expect(texts((await logs.read('R1')).lines)).toEqual(['before', 'after']);
    expect(catchError(() => logs.write('R1', 'a', 1, 'stdout', 'on\n'))).toBeUndefined();
  });

  it('throws a write that follows lines the database refused, as a StoreError, instead of crashing', async () => {
    const schema = newSchema();
    const { logs } = openLogs(schema);
    logs.write('R1', 'a', 1, 'stdout', 'kept\n');
    expect(texts((await logs.read('R1')).lines)).toEqual(['kept']);
    // The store's tables are gone from under it.
    await dropSchema(schema);
    logs.write('R1', 'a', 1, 'stdout', 'refused\n');
    logs.write('R2', 'b', 1, 'stdout', 'other run\n');
    await expect(logs.read('R1')).rejects.toBeInstanceOf(StoreError);
    const thrown = catchError(() => logs.write('R1', 'a', 1, 'stdout', 'next\n'));
    expect(thrown).toBeInstanceOf(StoreError);
    expect((thrown as StoreError).code).toBe('STORE_POSTGRES');
    expect((thrown as StoreError).message).toMatch(/1 line\(s\) of output of run R1 could not be kept in PostgreSQL/);
    expect((thrown as StoreError).details).toMatchObject({ run: 'R1', lines: 1 });
    // Thrown once; the other run's end throws its own.
    expect(catchError(() => logs.end('R1', 'a', 1))).toBeUndefined();
    expect(catchError(() => logs.end('R2', 'b', 1))).toBeInstanceOf(StoreError);
    // 'next' could not be kept either: close says so.
    await expect(logs.close()).rejects.toBeInstanceOf(StoreError);
  });

  it('says so on the next write when the connection pool is gone', async () => {
    const { logs, db } = openLogs();
    await db.close();
    logs.write('R1', 'a', 1, 'stdout', 'nowhere\n');
    await logs.read('R1').catch(() => undefined);
    const thrown = catchError(() => logs.end('R1', 'a', 1));
    expect(thrown).toBeInstanceOf(StoreError);
    expect((thrown as StoreError).message).toMatch(/run R1 could not be kept/);
  });
});

function catchError(fn: () => void): unknown {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err;
  }
}
