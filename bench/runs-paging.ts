/**
 * The web UI's Runs view pages through GET /api/runs by cursor (issue 15: "paging that stays
 * fast with 100,000 runs in the store"): a real `baton serve` on a SQLite store of 100,000
 * runs (bench/monitor.ts fill), asked over HTTP for the newest page and for a page near the
 * oldest run, a seek in the runs' index either way. The median of `reads` requests each.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { fill } from './monitor.js';
import { startServer } from './serve-process.js';
import { inTempDir } from './sqlite-overhead.js';

export interface PagingFigures {
  runs: number;
  firstMs: number;
  deepMs: number;
}

const PAGE = 25;

export async function pagingFigures(bin: string, runs: number, reads: number): Promise<PagingFigures> {
  return inTempDir('baton-bench-paging-', async (dir) => {
    const file = path.join(dir, 'baton.db');
    const store = openSqliteStore(file);
    let cursor: string;
    try {
      await fill(store, runs, Date.now());
      // The page after the run 100 from the oldest: as deep as paging goes.
      const oldest = await store.runs.listRuns({ limit: runs + 100 });
      const at = oldest[oldest.length - 100];
      cursor = `${at.created_at}.${at.id}`;
    } finally {
      await store.close();
    }
    writeFileSync(path.join(dir, 'baton.config.yaml'), 'store: baton.db\n');
    const { child, base } = await startServer(bin, dir);
    try {
      const median = async (url: string) => {
        const times: number[] = [];
        for (let i = 0; i < reads; i++) {
          const start = performance.now();
          const res = await fetch(url);
          const body = (await res.json()) as { runs: unknown[] };
          times.push(performance.now() - start);
          if (res.status !== 200 || body.runs.length !== PAGE) throw new Error(`paging bench: ${res.status}, ${body.runs.length} runs from ${url}`);
        }
        return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
      };
      await median(`${base}/api/runs?limit=${PAGE}`); // warm-up
      const firstMs = await median(`${base}/api/runs?limit=${PAGE}`);
      const deepMs = await median(`${base}/api/runs?limit=${PAGE}&cursor=${encodeURIComponent(cursor)}`);
      return { runs, firstMs, deepMs };
    } finally {
      child.kill('SIGKILL');
    }
  });
}
