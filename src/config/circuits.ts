/**
 * The project's circuit breakers (baton.config.yaml `circuits:`), as commands that load or
 * drive workflows need them: `{}` when the project declares none, or has no config file at
 * all, since then a task can name only the circuits of its own workflow.
 */
import type { CircuitPolicy } from '../spec/model.js';
import { loadProject, type ProjectOptions } from './project.js';

export function projectCircuits(options: ProjectOptions = {}): Record<string, CircuitPolicy> {
  return loadProject(options).config.circuits ?? {};
}
