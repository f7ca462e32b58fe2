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
  const cut = key.search(/[[#]/);
  return cut > 0 ? key.slice(0, cut) : key;
}

export interface RunLabels {
  namespace: string;
  workflow: string;
}

export interface TaskLabels extends RunLabels {
  task: string;
}

/** Hands out label values, folding those past the caps into `other`. Remembers what it gave. */
export class LabelCaps {
  /** Workflow (namespace + name) -> the tasks it has labels for. */
  private readonly workflows = new Map<string, Set<string>>();

  constructor(
    private readonly maxWorkflows = MAX_WORKFLOWS,
    private readonly maxTasks = MAX_TASKS,
  ) {}

  run(namespace: string, workflow: string): RunLabels {
    return { namespace, workflow: this.tasksOf(namespace, workflow) === undefined ? OTHER : workflow };
  }

  /** The labels of task `key` of a run whose labels are `run` (from run()). */
  task(run: RunLabels, key: string): TaskLabels {
    const task = taskLabel(key);
    const tasks = this.tasksOf(run.namespace, run.workflow);
    if (tasks === undefined || run.workflow === OTHER) return { ...run, task: OTHER };
    if (!tasks.has(task)) {
      if (tasks.size >= this.maxTasks) return { ...run, task: OTHER };
      tasks.add(task);
    }
    return { ...run, task };
  }

  /** The tasks a workflow has labels for, the workflow taken in when there is room; undefined: it is `other`. */
  private tasksOf(namespace: string, workflow: string): Set<string> | undefined {
    const key = `${namespace}\0${workflow}`;
    let tasks = this.workflows.get(key);
    if (tasks === undefined && this.workflows.size < this.maxWorkflows) {
      tasks = new Set();
      this.workflows.set(key, tasks);
    }
    return tasks;
  }
}
