/**
 * The project's resource pools, as commands that load or drive workflows need them: known
 * (`{}` when it declares none) in a project with a baton.config.yaml, unknown without one,
 * so `baton validate` of a lone file does not call every pool it names unknown.
 */
import { loadProject, type ProjectOptions } from './project.js';
import type { PoolCapacities } from './resources.js';

export function projectPools(options: ProjectOptions = {}): PoolCapacities | undefined {
  const project = loadProject(options);
  return project.configFile === undefined ? undefined : (project.config.resources ?? {});
}
