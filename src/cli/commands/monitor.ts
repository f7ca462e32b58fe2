/**
 * `baton monitor`: a live dashboard of a store (`--store`, the default one) or a server
 * (`--server`), on the terminal's alternate screen until q. `--once` prints one snapshot as
 * plain text and `--json` the overview document, for scripts; without either, standard
 * output must be a terminal (CLI_NOT_A_TERMINAL otherwise, naming those and the
 * commands made for scripts).
 */
import { existsSync } from 'node:fs';
import { BatonError } from '../../observability/errors.js';
import type { MonitorSource } from '../../runs/monitor-source.js';
import { parsePositiveInt } from '../args.js';
import { EXIT } from '../exit.js';
import { paint, useColor } from '../render/format.js';
import { remoteFor, type ServerFlags } from '../remote/connect.js';
import { openCliStore, type StoreFlags } from '../store.js';
import { countsLine, dashboardBody } from '../monitor/dashboard.js';
import { colors, fit } from '../monitor/text.js';

interface MonitorFlags extends StoreFlags, ServerFlags {
  refresh?: string;
  once?: boolean;
  json?: boolean;
}

/** The fastest refresh taken: faster only costs the store reads nobody can follow. */
const MIN_REFRESH_MS = 100;

export default async function monitor(flags: MonitorFlags): Promise<number> {
  const refreshMs = parsePositiveInt(flags.refresh, '--refresh') ?? 500;
  if (refreshMs < MIN_REFRESH_MS) {
    throw new BatonError('CLI_BAD_NUMBER', `--refresh must be at least ${MIN_REFRESH_MS} (milliseconds), got "${flags.refresh}"`, { details: { option: '--refresh' } });
  }
  const snapshot = flags.once === true || flags.json === true;
  if (!snapshot && process.stdout.isTTY !== true) {
    throw new BatonError(
      'CLI_NOT_A_TERMINAL',
      'baton monitor draws a live screen, and standard output is not a terminal: use `baton monitor --once` for one snapshot (--json for the document), or `baton history` and `baton status <run>` (with --json) in scripts',
    );
  }
  const source = await openSource(flags);
  try {
    if (snapshot) return await printSnapshot(source, flags.json === true);
    const [{ MonitorApp }, { Screen }] = await Promise.all([import('../monitor/monitor-app.js'), import('../monitor/screen.js')]);
    const screen = new Screen(process.stdout, process.stdin);
    const app = new MonitorApp(source, screen, { refreshMs, colors: colors(paint(useColor(process.stdout)), useColor(process.stdout)) });
    // A terminal closed, a `kill`, or Ctrl-C where keys are not read raw (standard input is
    // no terminal): the screen is given back before the process ends.
    const stop = () => app.quit(EXIT.ok);
    const signals = ['SIGTERM', 'SIGHUP', 'SIGINT'] as const;
    for (const signal of signals) process.once(signal, stop);
    try {
      return await app.run();
    } finally {
      screen.restore();
      for (const signal of signals) process.off(signal, stop);
    }
  } finally {
    await source.close();
  }
}

async function openSource(flags: MonitorFlags): Promise<MonitorSource> {
  const remote = await remoteFor(flags);
  if (remote) {
    const { RemoteSource } = await import('../../runs/monitor-remote.js');
    return new RemoteSource(remote.server);
  }
  const [store, { StoreSource }, { isPostgresUrl }] = await Promise.all([openCliStore(flags), import('../../runs/monitor-source.js'), import('../../store/open.js')]);
  // A store file not there yet is opened empty: the first run creates it, and the screen then shows it.
  const missing = store.location !== 'memory' && !isPostgresUrl(store.location) && !existsSync(store.location);
  const appears = async () => (existsSync(store.location) ? openCliStore(flags) : undefined);
  return new StoreSource(store, { ...(flags.store === undefined ? {} : { storeFlag: flags.store }), ...(missing ? { appears } : {}) });
}

/** One look, printed: the dashboard as text (cut to the terminal's width on one), or the overview as JSON. */
async function printSnapshot(source: MonitorSource, json: boolean): Promise<number> {
  const overview = await source.overview();
  if (json) {
    process.stdout.write(JSON.stringify(overview, null, 2) + '\n');
    return EXIT.ok;
  }
  const on = useColor(process.stdout);
  const c = colors(paint(on), on);
  const width = process.stdout.isTTY ? Math.max(20, process.stdout.columns || 80) : Number.MAX_SAFE_INTEGER;
  const lines = [fit([['baton monitor', 'bold'], '  ', [source.where, 'dim'], '  ', [overview.at, 'dim']], width, c), countsLine(overview, width, c), ...dashboardBody(overview, -1, width, c).lines];
  process.stdout.write(lines.map((line) => line.trimEnd()).join('\n') + '\n');
  return EXIT.ok;
}
