/**
 * The schedules `baton serve` fires (triggers/schedule-list.ts lists them): a croner job
 * per schedule that is not paused, each firing through the trigger hub with the scheduled
 * time as its delivery, so two servers sharing a store start one run per firing. At start,
 * a schedule with `missed: run-once` whose last firing came while no server ran fires once.
 */
import type { Trigger } from '../spec/model.js';
import { lastFiring, startSchedule } from '../triggers/schedule.js';
import { scheduleViews, type ScheduleView } from '../triggers/schedule-list.js';
import type { TriggerHost, TriggerHub } from './trigger-hub.js';

export class Schedules {
  private jobs: Array<{ stop: () => void }> = [];
  private stopped = false;
  private rows = '';
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly host: TriggerHost,
    private readonly hub: TriggerHub,
  ) {}

  /** Every schedule, with its next firing. */
  async list(now = new Date()): Promise<ScheduleView[]> {
    return scheduleViews(this.host.workflows.values(), await this.host.store.triggers.listSchedules(this.host.namespace), now, new Set(this.host.workflows.keys()));
  }

  /**
   * Restarts the jobs when the store's schedules change (`baton schedule add` or `pause`
   * from another process), looking every `everyMs`.
   */
  watch(everyMs = 2000): void {
    this.timer = setInterval(() => {
      void this.host.store.triggers
        .listSchedules(this.host.namespace)
        .then((rows) => (JSON.stringify(rows) === this.rows ? undefined : this.restart()))
        .catch((err: unknown) => this.host.log(`reading schedules: ${String(err)}`));
    }, everyMs);
    this.timer.unref();
  }

  /** (Re)starts a job for each schedule that is not paused. */
  async restart(): Promise<void> {
    this.rows = JSON.stringify(await this.host.store.triggers.listSchedules(this.host.namespace));
    const views = await this.list();
    for (const job of this.jobs) job.stop();
    this.jobs = [];
    if (this.stopped) return;
    for (const view of views) {
      if (view.paused || view.problem !== undefined) continue;
      this.jobs.push(startSchedule(view, (at) => void this.fire(view, at)));
    }
  }

  /** A firing of `view` scheduled for `at`. */
  private async fire(view: ScheduleView, at: Date): Promise<void> {
    const trigger: Trigger = { type: 'schedule', config: { schedule: view.cron, timezone: view.timezone, missed: view.missed } };
    try {
      await this.hub.fire({ workflow: view.workflow, trigger, source: view.id, delivery: `${view.id}@${at.toISOString()}`, data: { type: 'schedule', at: at.toISOString(), schedule: view.cron } });
    } catch (err) {
      this.host.log(`schedule ${view.id} of ${view.workflow}: ${String(err)}`);
    }
  }

  /**
   * For each schedule with `missed: run-once` whose last firing time passed with no firing
   * recorded for it (no server ran then): one firing now, for that time.
   */
  async catchUp(now = new Date()): Promise<void> {
    for (const view of await this.list(now)) {
      if (view.missed !== 'run-once' || view.paused || view.problem !== undefined) continue;
      const last = lastFiring(view, now);
      if (last === undefined) continue;
      const recent = await this.host.store.triggers.listFirings({ namespace: this.host.namespace, workflow: view.workflow, limit: 200 });
      const newest = recent.find((f) => f.trigger === 'schedule' && f.source === view.id);
      if (newest !== undefined && newest.at >= last.getTime()) continue;
      this.host.log(`schedule ${view.id} of ${view.workflow} last fired at ${last.toISOString()} while no server ran (missed: run-once): one run now`);
      await this.fire(view, last);
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const job of this.jobs) job.stop();
    this.jobs = [];
  }
}
