/**
 * What every front end that drives runs (the CLI, the server) gives the engine besides
 * the store: how to run code (`programs`, and `loadCode` for a child run whose file is
 * code), the project's skills (`uses:`, `ctx.skill`, `baton skill run` inside a run),
 * read only when a run needs them, its resource pools (baton.config.yaml `resources:`), its
 * notification channels (`notifications.channels`) and what runs' ends notify (`notifications.defaults`,
 * `alerts:`), its circuit breakers (`circuits:`), and tracing (`tracing:`, OTEL_* variables).
 */
import type { DriveOptions } from '../engine/runner.js';
import { loadCode } from '../sdk/load-code.js';
import { projectSkillResolver } from '../skills/resolver.js';
import type { SkillRoot } from '../skills/catalog.js';
import { projectPools } from '../config/pools.js';
import { projectCircuits } from '../config/circuits.js';
import { projectChannels, projectNoticePolicy } from '../config/project-channels.js';
import { noticeMaker } from '../observability/notifications/rules.js';
import { projectTracing } from './tracing.js';

/** The program of a code run's snapshot (DriveOptions.programs). */
export const programs: NonNullable<DriveOptions['programs']> = async (code, state) => {
  const { programFor } = await import('../sdk/programs.js');
  return programFor(code, state);
};

/** `skillRoots`: where the runs' skills are (a namespace's); default the project's. */
export function driveExtras(skillRoots?: () => SkillRoot[]): Pick<DriveOptions, 'programs' | 'loadCode' | 'skills' | 'resources' | 'channels' | 'circuits' | 'notices' | 'tracing'> {
  const tracing = projectTracing();
  return {
    programs,
    loadCode,
    skills: projectSkillResolver(skillRoots),
    resources: projectPools() ?? {},
    channels: projectChannels() ?? {},
    circuits: projectCircuits(),
    notices: noticeMaker(projectNoticePolicy(), (line) => process.stderr.write(`baton: ${line}\n`)),
    ...(tracing ? { tracing } : {}),
  };
}
