/**
 * The labels of baton's Prometheus metrics, kept to a bounded number of series: each
 * distinct set of label values is a series Prometheus keeps for good, so a label must never
 * take one value per run (run ids, loop items). Tasks are named by their id in the file,
 * without what a loop or a retry adds to a task's key (`deploy-envs[qa]` -> `deploy-envs`,
 * `poll#3` -> `poll`); past MAX_TASKS distinct tasks of one workflow, and MAX_WORKFLOWS
 * workflows, the newcomers fold into `other` (docs/observability.md).
 */

/** Distinct task labels one workflow may have; later ones are `other`. */
export const MAX_TASKS = 100;
/** Distinct workflow labels (over every namespace); later ones are `other`. */
export const MAX_WORKFLOWS = 500;
/** What a label value past its cap becomes. */
export const OTHER = 'other';

/**
 * A task's key as a label: the id it has in its workflow, without the `[item]` of a loop
 * iteration or a compensation, or the `#n` a code run gives repeated steps. A key that
 * starts with either is kept whole.
 */
export function taskLabel(key: string): string {
  // Called for every task of every run: two scans, no regular expression.
  const bracket = key.indexOf('[');
  const hash = key.indexOf('#');
  const cut = bracket < 0 ? hash : hash < 0 ? bracket : Math.min(bracket, hash);
  return cut > 0 ? key.slice(0, cut) : key;
}

export interface RunLabels {
  namespace: string;
  workflow: string;
}

export interface TaskLabels extends RunLabels {
  task: string;
}

/** A workflow's labels, and its tasks' (the same objects every time: metric-set.ts keys its series by them). */
interface WorkflowLabels {
  run: RunLabels;
  tasks: Map<string, TaskLabels>;
  other: TaskLabels;
  /** Distinct task labels it may have (0 for the workflow `other`). */
  max: number;
}

/** Hands out label values, folding those past the caps into `other`. Remembers what it gave. */
export class LabelCaps {
  /** Workflow (namespace + name) -> its labels. */
  private readonly workflows = new Map<string, WorkflowLabels>();
  /** What a workflow past the cap counts as, by namespace. */
  private readonly others = new Map<string, WorkflowLabels>();
  /** The workflow of each RunLabels given out. */
  private readonly of = new WeakMap<RunLabels, WorkflowLabels>();

  constructor(
    private readonly maxWorkflows = MAX_WORKFLOWS,
    private readonly maxTasks = MAX_TASKS,
  ) {}

  run(namespace: string, workflow: string): RunLabels {
    const key = `${namespace}\0${workflow}`;
    let found = this.workflows.get(key);
    if (found === undefined) {
      if (this.workflows.size >= this.maxWorkflows) return this.other(namespace).run;
      found = this.entry({ namespace, workflow }, this.maxTasks);
      this.workflows.set(key, found);
    }
    return found.run;
  }

  /** The labels of task `key` of a run whose labels are `run` (from run()). */
  task(run: RunLabels, key: string): TaskLabels {
    const entry = this.of.get(run) ?? this.entry(run, this.maxTasks);
    const task = taskLabel(key);
    let labels = entry.tasks.get(task);
    if (labels === undefined) {
      if (entry.tasks.size >= entry.max) return entry.other;
      labels = { ...entry.run, task };
      entry.tasks.set(task, labels);
    }
    return labels;
  }

  /** The workflow `other` of a namespace: its tasks are `other` too. */
  private other(namespace: string): WorkflowLabels {
    let found = this.others.get(namespace);
    if (found === undefined) {
      found = this.entry({ namespace, workflow: OTHER }, 0);
      this.others.set(namespace, found);
    }
    return found;
  }

  private entry(run: RunLabels, max: number): WorkflowLabels {
    const entry: WorkflowLabels = { run, tasks: new Map(), other: { ...run, task: OTHER }, max };
    this.of.set(run, entry);
    return entry;
  }
}
