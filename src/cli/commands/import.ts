import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { BatonError } from '../../observability/errors.js';
import { StoreError } from '../../store/errors.js';
import { EXIT } from '../exit.js';
import { visible } from '../render/visible.js';
import { ArchiveReader } from '../../runs/archive.js';
import { openCliStore, type StoreFlags } from '../store.js';

/**
 * Reads a run written by `baton export` into this store. Every line is checked first;
 * with any problem nothing is imported and each problem is printed as `file:line: ...`.
 */
export default async function importRun(file: string, flags: StoreFlags): Promise<number> {
  const name = file === '-' ? '<stdin>' : file;
  const reader = new ArchiveReader();
  const input = file === '-' ? process.stdin : createReadStream(file);
  try {
    const lines = createInterface({ input, crlfDelay: Infinity });
    for await (const line of lines) {
      reader.add(line);
      if (reader.full) break;
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'it is a folder' : error instanceof Error ? error.message : String(error);
    throw new BatonError('IMPORT_READ', `cannot read ${name}: ${why}`, { cause: error, details: { file } });
  } finally {
    if (input !== process.stdin) input.destroy();
  }
  const result = reader.finish();
  if ('problems' in result) {
    for (const p of result.problems) process.stderr.write(visible(`${name}:${p.line}: error ${p.code}: ${p.message}`) + '\n');
    const more = reader.full ? ' (stopped looking after these)' : '';
    process.stderr.write(`baton: ${name} was not imported: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}${more}\n`);
    return EXIT.invalid;
  }
  const { header, events } = result.run;
  const store = await openCliStore(flags, { create: true });
  try {
    if ((await store.runs.getRun(header.run.id)) !== undefined) throw alreadyThere(header.run.id, store.location);
    try {
      await store.runs.createRun({ id: header.run.id, workflow: header.run.workflow, created_at: header.run.created_at }, events);
    } catch (error) {
      if (error instanceof StoreError && error.code === 'STORE_RUN_EXISTS') throw alreadyThere(header.run.id, store.location, error);
      throw error;
    }
  } finally {
    await store.close();
  }
  process.stdout.write(`${header.run.id}\n`);
  process.stderr.write(visible(`Imported run ${header.run.id} (${header.run.workflow}, ${events.length} events) into ${store.location}`) + '\n');
  return EXIT.ok;
}

function alreadyThere(runId: string, location: string, cause?: unknown): StoreError {
  return new StoreError(
    'STORE_RUN_EXISTS',
    `run ${runId} is already in ${location}; nothing was imported (to keep both, import into another store with --store)`,
    { cause, details: { run: runId } },
  );
}
