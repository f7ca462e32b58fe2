import type { TaskIO } from '../executors/types.js';
import type { LogStore } from '../store/store.js';
import { LineMasker, type Masker } from './mask.js';

export type OutputListener = (task: string, stream: 'stdout' | 'stderr', chunk: string) => void;

/** What an executor sees of its run: identity, environment, folders, and where output goes. */
export class RunnerIO implements TaskIO {
  readonly idempotencyKey: string;
  continuesFrom?: number;
  runSkill?: TaskIO['runSkill'];
  runWorkflow?: TaskIO['runWorkflow'];
  workflow?: string;
  channels?: TaskIO['channels'];
  traceparent?: string;

  constructor(
    readonly runId: string,
    readonly taskKey: string,
    readonly attempt: number,
    readonly env: Record<string, string>,
    readonly baseDir: string,
    /** The run's scratch folder, made on first use. */
    private readonly runScratch: () => string,
    private readonly logs: LogStore,
    private readonly onOutput: OutputListener | undefined,
    masker: Masker | undefined,
    private readonly onLogFailure: (err: unknown) => void,
  ) {
    this.idempotencyKey = `${runId}/${taskKey}`;
    if (masker) {
      this.out = new LineMasker(masker, (chunk) => this.send('stdout', chunk));
      this.err = new LineMasker(masker, (chunk) => this.send('stderr', chunk));
    }
  }

  private readonly out?: LineMasker;
  private readonly err?: LineMasker;

  /**
   * One folder per run, shared by its tasks: executors name their files uniquely, and
   * creating a folder per attempt cost more than a tenth of a millisecond per task here.
   * It exists once read, made by the first task that needs it.
   */
  get scratchDir(): string {
    return this.runScratch();
  }

  /**
   * Records the attempt's progress (TaskIO.progress): set by whoever drives the attempt and
   * records its events (engine/progress-recorder.ts); unset, executors read no progress.
   */
  progress?: TaskIO['progress'];

  /** Output came: the attempt is alive (its heartbeat_timeout starts over). */
  onActivity?: () => void;

  stdout(chunk: string): void {
    this.onActivity?.();
    if (this.out) this.out.write(chunk);
    else this.send('stdout', chunk);
  }

  stderr(chunk: string): void {
    this.onActivity?.();
    if (this.err) this.err.write(chunk);
    else this.send('stderr', chunk);
  }

  /** The attempt ended: what is held for masking goes out, and the log store closes its files. */
  finish(): void {
    this.out?.flush();
    this.err?.flush();
    try {
      this.logs.end(this.runId, this.taskKey, this.attempt);
    } catch (err) {
      this.onLogFailure(err);
    }
  }

  private send(stream: 'stdout' | 'stderr', chunk: string): void {
    // Called from a child's output stream: a throw here would crash the process.
    try {
      this.logs.write(this.runId, this.taskKey, this.attempt, stream, chunk);
    } catch (err) {
      this.onLogFailure(err);
    }
    this.onOutput?.(this.taskKey, stream, chunk);
  }
}
