import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { runNotFound } from '../../store/errors.js';
import { EXIT } from '../exit.js';
import { eventLine, headerLine } from '../run-archive.js';
import { stopQuietlyOnClosedStdout } from '../pipe.js';
import { openCliStore, type StoreFlags } from '../store.js';

interface ExportFlags extends StoreFlags {
  /** `-o, --output <file>`; default stdout. */
  output?: string;
}

/** Writes a run as JSON Lines (see run-archive.ts), one line at a time. */
export default async function exportRun(runArg: string, flags: ExportFlags): Promise<number> {
  const store = await openCliStore(flags);
  try {
    const runId = await store.runs.resolveRunId(runArg);
    const record = await store.runs.getRun(runId);
    if (record === undefined) throw runNotFound(runId);
    const events = await store.runs.readEvents(runId);
    const toFile = flags.output !== undefined && flags.output !== '-';
    if (!toFile) stopQuietlyOnClosedStdout();
    const out = toFile ? createWriteStream(flags.output!, { flags: 'wx' }) : process.stdout;
    try {
      const write = async (line: string) => {
        if (!out.write(line + '\n')) await once(out, 'drain');
      };
      await write(headerLine(record));
      for (const event of events) await write(eventLine(event));
      if (toFile) await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    } catch (error) {
      // A half-written export would import as a shorter run: remove it.
      if (toFile) {
        out.destroy();
        await rm(flags.output!, { force: true });
      }
      throw error;
    }
    if (toFile) process.stderr.write(`Exported run ${runId} (${events.length} events) to ${flags.output}\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
