/**
 * One namespace of `baton serve` (docs/access.md): its folder of workflows, loaded and
 * kept by name and watched for changes, and its triggers (schedules, events, file watches,
 * webhooks). Namespaces share the daemon's drives, queue and timers; what a namespace
 * serves, fires and is asked for by name stays its own.
 */
import path from 'node:path';
import { BatonError } from '../observability/errors.js';
import { loadDefinition, type LoadedWorkflow, type WorkflowProblem } from '../runs/definition.js';
import { findWorkflowFiles } from '../runs/workflow-files.js';
import { watchFolders, type FolderWatch } from '../runs/folder-watch.js';
import type { DriveOptions } from '../engine/runner.js';
import type { SkillRoot } from '../skills/catalog.js';
import { didYouMean } from '../spec/suggest.js';
import type { Store } from '../store/store.js';
import { checkSchedule, schedulesOf } from '../triggers/schedule.js';
import { EventFeed } from './event-feed.js';
import { MessageTriggers } from './messages.js';
import { Schedules } from './schedules.js';
import { TriggerHub, type TriggerHost } from './trigger-hub.js';

/** Files whose change may change a served workflow (code workflows import their neighbours). */
const WORKFLOW_FILE = /\.(ya?ml|json|[cm]?[jt]s)$/i;

export interface CatalogOptions {
  namespace: string;
  /** The folder of workflow files. */
  dir: string;
  store: Store;
  /** How its runs are driven: its skills, the pools. */
  extras: Pick<DriveOptions, 'programs' | 'loadCode' | 'skills' | 'resources' | 'circuits'>;
  /** Where its skills are (the project's for `default`; a tenant's own and baton's built-ins for another). */
  skillRoots: () => SkillRoot[];
  start: TriggerHost['start'];
  log: (line: string) => void;
  stopping: () => boolean;
  /** Folders inside `dir` that are other namespaces': not this one's workflows. */
  exclude?: readonly string[];
}

export class Catalog {
  readonly workflows = new Map<string, LoadedWorkflow>();
  problems: WorkflowProblem[] = [];
  readonly hub: TriggerHub;
  readonly schedules: Schedules;
  readonly feed: EventFeed;
  readonly messages: MessageTriggers;
  private watcher?: FolderWatch;
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: CatalogOptions) {
    const host: TriggerHost = { store: options.store, namespace: options.namespace, workflows: this.workflows, start: options.start, log: this.log.bind(this) };
    this.hub = new TriggerHub(host);
    this.schedules = new Schedules(host, this.hub);
    this.feed = new EventFeed(host, this.hub);
    this.messages = new MessageTriggers(host, this.hub);
  }

  get namespace(): string {
    return this.options.namespace;
  }

  get dir(): string {
    return this.options.dir;
  }

  /** How this namespace's runs are driven (its skills). */
  get extras(): CatalogOptions['extras'] {
    return this.options.extras;
  }

  /** The folders of this namespace's skills. */
  skillRoots(): SkillRoot[] {
    return this.options.skillRoots();
  }

  /** A line for the log, naming the namespace unless it is the default one. */
  log(line: string): void {
    this.options.log(this.options.namespace === 'default' ? line : `[${this.options.namespace}] ${line}`);
  }

  /**
   * Loads every workflow of the folder. A file that does not load is kept as a problem
   * (shown by the API); two files with one name: the first (by path) wins, the other is a
   * problem. With `keepLastGood`, a workflow whose file no longer loads stays as it was.
   */
  async load(options: { keepLastGood?: boolean } = {}): Promise<void> {
    const dir = this.options.dir;
    const scan = findWorkflowFiles(dir);
    scan.files = scan.files.filter((found) => !this.excluded(found.file));
    const workflows = new Map<string, LoadedWorkflow>();
    const problems: WorkflowProblem[] = [];
    const skills = this.options.extras.skills?.lookup();
    for (const found of scan.files) {
      const file = path.join(dir, found.file);
      try {
        const loaded = await loadDefinition(file, skills, this.options.extras.resources, this.options.extras.circuits);
        if ('problem' in loaded) {
          problems.push(loaded.problem);
          continue;
        }
        for (const schedule of schedulesOf(loaded.workflow)) checkSchedule(schedule);
        const earlier = workflows.get(loaded.name);
        if (earlier) {
          problems.push({ file, message: `workflow ${loaded.name} is also defined in ${earlier.file}, which is the one started by that name: rename one of them` });
          continue;
        }
        workflows.set(loaded.name, loaded);
      } catch (err) {
        problems.push({ file, message: err instanceof Error ? err.message : String(err) });
      }
    }
    if (options.keepLastGood) {
      for (const [name, kept] of this.workflows) {
        const broken = problems.find((p) => p.file === kept.file);
        if (broken && !workflows.has(name)) {
          workflows.set(name, kept);
          broken.message += ` (its last good version is still served)`;
        }
      }
    }
    const before = versions(this.workflows);
    this.workflows.clear();
    for (const [name, loaded] of workflows) this.workflows.set(name, loaded);
    this.problems = problems;
    // Triggers restart only when a workflow changed: a file watch restarted would drop the changes it was gathering.
    if (!this.options.stopping() && versions(this.workflows) !== before) {
      await this.schedules.restart();
      this.hub.watchFiles();
      this.messages.restart();
    }
    this.log(`loaded ${workflows.size} workflow${workflows.size === 1 ? '' : 's'} from ${dir}${problems.length > 0 ? `; ${problems.length} file${problems.length === 1 ? '' : 's'} with problems` : ''}`);
    for (const problem of problems) this.log(`${problem.file}: ${problem.message}`);
  }

  /**
   * Reloads the folder when a file in it changes (the folders the scan walks, each watched:
   * runs/folder-watch.ts, not .baton or node_modules; changes within `debounceMs` are taken
   * together). A file that stops loading keeps its last good version, served as before, and
   * the problem is shown by the API and the log.
   */
  watch(debounceMs = 200): void {
    try {
      this.watcher = watchFolders(
        this.options.dir,
        (file) => {
          // Only what can be a workflow: a run's own output or data files change nothing here.
          if (!WORKFLOW_FILE.test(file) || this.excluded(file)) return;
          clearTimeout(this.timer);
          this.timer = setTimeout(() => void this.load({ keepLastGood: true }).catch((err: unknown) => this.log(`reloading: ${String(err)}`)), debounceMs);
        },
        (message) => this.log(message),
      );
    } catch (err) {
      this.log(`not watching ${this.options.dir} for changes: ${(err as Error).message}`);
    }
  }

  /** Whether `file` (relative to the folder) is in another namespace's folder. */
  private excluded(file: string): boolean {
    const at = path.resolve(this.options.dir, file);
    return (this.options.exclude ?? []).some((dir) => at === dir || at.startsWith(dir + path.sep));
  }

  /** The workflow named `name`; WORKFLOW_NOT_FOUND (with a near name) when the folder has none. */
  workflow(name: string): LoadedWorkflow {
    const loaded = this.workflows.get(name);
    if (loaded) return loaded;
    const broken = this.problems.find((p) => path.basename(p.file).replace(/\.[^.]+$/, '') === name);
    const why = broken ? `: ${broken.file} has problems (${broken.message})` : didYouMean(name, [...this.workflows.keys()]);
    throw new BatonError('WORKFLOW_NOT_FOUND', `no workflow ${name} in ${this.options.dir}${why}`, { details: { workflow: name } });
  }

  /**
   * Starts the triggers: schedules (and, at start, the firings `missed: run-once` asks
   * for), event triggers reading the store's events and run ends, file watches, and the
   * subscriptions of message triggers.
   */
  async startTriggers(): Promise<void> {
    await this.schedules.catchUp();
    this.schedules.watch();
    await this.feed.start();
    this.messages.start();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.schedules.stop();
    this.feed.stop();
    this.hub.stop();
    void this.messages.stop();
  }
}

/** What identifies the workflows served: each one's name, file and text. */
function versions(workflows: ReadonlyMap<string, LoadedWorkflow>): string {
  return [...workflows.values()].map((w) => `${w.name}\0${w.file}\0${w.sha256}`).join('\n');
}
