import { redactUrl } from '../brokers/broker-url.js';
import type { Trigger } from '../spec/model.js';

/** One line saying what fires a trigger, for `baton triggers test`, the API and the log. */
export function describeTrigger(trigger: Trigger): string {
  const c = trigger.config;
  const filter = c.filter === undefined ? '' : ` if ${c.filter}`;
  switch (trigger.type) {
    case 'schedule':
      return `schedule '${c.schedule}' in ${c.timezone ?? 'UTC'}`;
    case 'webhook':
      return `webhook POST /hooks${c.webhook}${c.secret_env ? ` signed with $${c.secret_env}` : ' (unsigned: loopback only)'}${filter}`;
    case 'file_change':
      return `changes to ${(c.files ?? []).join(', ')}${filter}`;
    case 'event':
      if (c.workflow_run) return `a run of ${c.workflow_run.workflow} ending${c.workflow_run.status ? ` ${c.workflow_run.status.join(' or ')}` : ''}${filter}`;
      return `event ${c.event}${filter}`;
    case 'message':
      return `messages from ${c.subject !== undefined ? `subject ${c.subject}` : c.queue !== undefined ? `queue ${c.queue}` : `topic ${c.topic ?? ''}`} on ${redactUrl(c.url ?? '')}${filter}`;
    case 'manual':
      return 'started by hand';
  }
}
