/**
 * The project's tracing (docs/observability.md#traces), as every front end that drives runs
 * needs it: baton.config.yaml's `tracing:` and the OpenTelemetry environment variables;
 * undefined when off (the default). A setting that asks for traces and cannot give them is
 * said once per process on stderr, and the runs go on untraced.
 */
import { loadProject, type ProjectOptions } from '../config/project.js';
import { traceTarget } from '../observability/tracing/config.js';
import { runTracing, type RunTracing } from '../observability/tracing/run-tracing.js';

let warned = false;

export function projectTracing(options: ProjectOptions = {}, warn: (line: string) => void = (line) => process.stderr.write(`baton: ${line}\n`)): RunTracing | undefined {
  const { target, problem } = traceTarget(loadProject(options).config.tracing, options.env ?? process.env);
  if (problem !== undefined && !warned) {
    warned = true;
    warn(`tracing: ${problem.message} [${problem.code}]`);
  }
  return target === undefined ? undefined : runTracing(target, warn);
}
