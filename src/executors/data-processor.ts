/**
 * data_processor (seed 004): the records of the files its input globs match, streamed
 * through a processor, a script or shell command run like a script task's (its own process
 * group, stopped on a timeout or cancel), into one output file.
 *
 * The contract with the processor (docs/executors.md#data_processor): records arrive on
 * stdin, one per line (data-records.ts); the records it writes to stdout, one per line,
 * make the output (data-output.ts); stderr is the task's log; $BATON_INPUT_FILES names a
 * file listing the input files, and with `per_file` one process runs per input file,
 * $BATON_INPUT_FILE naming it. $BATON_OUTPUT works as for a script task: what the
 * processor writes there joins the task's outputs.
 *
 * baton holds no input whole: each file is read a chunk at a time, and a chunk is read only
 * once the processor has taken the last one. The output appears under its name only once
 * every process succeeded: it is written to a temporary file beside it, then renamed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DataProcessorTask } from '../spec/model.js';
import { formatOf, inputFiles } from './data-files.js';
import { RecordSink, removeLeftTemps, tempPrefix } from './data-output.js';
import { feedRecords, type InCounts } from './data-records.js';
import { ExecutorError } from './errors.js';
import { readOutputsFile } from './outputs-file.js';
import { runProcessGroup } from './process-group.js';
import { checkExit, processEnv, resolveCwd, scratchFile, watchProgress } from './process-task.js';
import { interpreter, scriptPath, writeInline, type ScriptOptions } from './script.js';
import type { Executor, ExecutorResult, TaskIO } from './types.js';

export function createDataProcessorExecutor(options: ScriptOptions = {}): Executor<DataProcessorTask> {
  return {
    async run(task, io, signal) {
      const output = path.resolve(io.baseDir, task.output.path);
      const prefix = tempPrefix(output, io.runId, io.taskKey);
      const files = await inputFiles(task.input.paths, io.baseDir, (file) => file === output || file.startsWith(prefix));
      if (files.length === 0 && !task.input.allow_empty) {
        throw new ExecutorError('DATA_NO_INPUT', `no file matches the input of ${io.taskKey} (${task.input.paths.join(', ')}, relative to ${io.baseDir}); check the glob, or set input.allow_empty: true to write an empty output instead`, {
          retryable: false,
        });
      }
      const [program, ...args] = await processorCommand(task, io, options);
      const listFile = scratchFile(io, 'input-files', '.txt');
      await writeFile(listFile, files.map((file) => `${file}\n`).join(''));
      await mkdir(path.dirname(output), { recursive: true });
      await removeLeftTemps(prefix);
      const sink = await RecordSink.open(`${prefix}${io.attempt}.tmp`, formatOf(output, task.output.format));
      const counts: InCounts = { records: 0, bytes: 0 };
      const outputs: Record<string, unknown> = {};
      try {
        // One process for every file, or one per file; none when there is no file to give each.
        const groups = task.processor.per_file ? files.map((file) => [file]) : [files];
        for (const group of groups) {
          const env: Record<string, string> = { BATON_INPUT_FILES: listFile };
          if (task.processor.per_file) env.BATON_INPUT_FILE = group[0];
          const spec = { program, args, cwd: resolveCwd(task.cwd, io), env, what: 'processor' };
          const outputFile = scratchFile(io, 'output');
          let feeding: Promise<void> = Promise.resolve();
          const watch = watchProgress(outputFile, io);
          const result = await runProcessGroup(
            {
              ...spec,
              env: processEnv(spec, io, outputFile),
              feed: (stdin) => (feeding = feedRecords(group, task.input.format, stdin, counts)),
              stdoutSink: sink,
              killGraceMs: options.killGraceMs,
            },
            io,
            signal,
          ).finally(() => watch?.stop());
          await feeding;
          checkExit(result, 'processor');
          await sink.endLine();
          Object.assign(outputs, await readOutputsFile(outputFile));
        }
        await sink.commit(output);
      } catch (err) {
        await sink.discard();
        throw err;
      }
      const out = sink.counts;
      io.stderr(`data_processor: ${files.length} file${files.length === 1 ? '' : 's'}, ${counts.records} records (${counts.bytes} bytes) in, ${out.records} records (${out.bytes} bytes) out -> ${output}\n`);
      return { outputs: { ...outputs, files: files.length, records_in: counts.records, records_out: out.records, bytes_in: counts.bytes, bytes_out: out.bytes, output }, exit_code: 0 } satisfies ExecutorResult;
    },
  };
}

export const dataProcessor = createDataProcessorExecutor();

/** The processor's command line: `sh -c command`, or the script's interpreter and file. */
async function processorCommand(task: DataProcessorTask, io: TaskIO, options: ScriptOptions): Promise<string[]> {
  const { processor } = task;
  if (processor.type === 'shell') return ['sh', '-c', processor.command ?? ''];
  const file = processor.code !== undefined ? await writeInline({ language: processor.type, code: processor.code }, io) : await scriptPath({ script: processor.script }, io);
  return [...interpreter(processor.type, options), file, ...processor.args];
}
