/**
 * The project's notification channels (baton.config.yaml `notifications.channels`,
 * config/channels.ts), as commands that load or drive workflows need them: known (`{}` when
 * it defines none) in a project with a baton.config.yaml, unknown without one, so `baton
 * validate` of a lone file does not call every channel it names unknown.
 */
import type { NotifyChannel } from '../spec/model.js';
import { loadProject, type ProjectOptions } from './project.js';

export function projectChannels(options: ProjectOptions = {}): Record<string, NotifyChannel> | undefined {
  const project = loadProject(options);
  return project.configFile === undefined ? undefined : (project.config.notifications?.channels ?? {});
}
