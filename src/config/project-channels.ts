/**
 * The project's notification channels (baton.config.yaml `notifications.channels`,
 * config/channels.ts), as commands that load or drive workflows need them: known (`{}` when
 * it defines none) in a project with a baton.config.yaml, unknown without one, so `baton
 * validate` of a lone file does not call every channel it names unknown.
 */
import type { NotifyChannel } from '../spec/model.js';
import { loadProject, type ProjectOptions } from './project.js';
import type { NoticePolicy } from '../observability/notifications/rules.js';

export function projectChannels(options: ProjectOptions = {}): Record<string, NotifyChannel> | undefined {
  const project = loadProject(options);
  return project.configFile === undefined ? undefined : (project.config.notifications?.channels ?? {});
}

/**
 * What baton.config.yaml says every run tells (observability/notifications/rules.ts):
 * `notifications.defaults`, the top-level `alerts:` and `server.public_url`.
 */
export function projectNoticePolicy(options: ProjectOptions = {}): NoticePolicy {
  const config = loadProject(options).config;
  const policy: NoticePolicy = {};
  if (config.notifications?.defaults) policy.defaults = config.notifications.defaults;
  if (config.alerts && config.alerts.length > 0) policy.alerts = config.alerts;
  if (config.server?.public_url !== undefined) policy.publicUrl = config.server.public_url;
  return policy;
}
