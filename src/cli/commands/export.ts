import { once } from 'node:events';
import { open, rm } from 'node:fs/promises';
import { BatonError } from '../../observability/errors.js';
import { runNotFound } from '../../store/errors.js';
import { EXIT } from '../exit.js';
import { eventLine, headerLine } from '../../runs/archive.js';
import { stopQuietlyOnClosedStdout } from '../pipe.js';
import { openCliStore, type StoreFlags } from '../store.js';

interface ExportFlags extends StoreFlags {
  /** `-o, --output <file>`; default stdout. */
  output?: string;
  /** `--force`: overwrite the output file when it exists; default false. */
  force?: boolean;
}

/** Writes a run as JSON Lines (see runs/archive.ts), one line at a time. */
export default async function exportRun(runArg: string, flags: ExportFlags): Promise<number> {
  const store = await openCliStore(flags);
  try {
    const runId = await store.runs.resolveRunId(runArg);
    const record = await store.runs.getRun(runId);
    if (record === undefined) throw runNotFound(runId);
    const events = await store.runs.readEvents(runId);
    const toFile = flags.output !== undefined && flags.output !== '-';
    if (!toFile) stopQuietlyOnClosedStdout();
    const out = toFile ? (await openOutput(flags.output!, flags.force === true)).createWriteStream() : process.stdout;
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

/** Opens the export file; one that exists is kept unless --force says to overwrite it. */
async function openOutput(file: string, force: boolean) {
  try {
    return await open(file, force ? 'w' : 'wx');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new BatonError('EXPORT_EXISTS', `${file} already exists; nothing was written (add --force to overwrite it, or choose another file)`, {
        details: { file },
      });
    }
    const why = code === 'ENOENT' ? 'its folder does not exist' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new BatonError('EXPORT_WRITE', `cannot write ${file}: ${why}`, { cause: error, details: { file } });
  }
}
