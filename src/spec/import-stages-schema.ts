/** The `workflow.stages` file format (seed 002) as a zod schema. */
import { z } from 'zod';
import { Task, WorkflowFile } from './schema.js';
import { expected, str, strict } from './schema-kit.js';

const Branch = strict({
  agent: str('Agent run by this branch.', 'expected an agent name'),
  name: str('Label of the branch.').optional(),
});

const Stage = strict({
  name: str('Stage name; becomes the task id.', 'expected a stage name'),
  type: z.enum(['sequential', 'parallel', 'conditional']).optional(),
  description: str('What the stage does.').optional(),
  agents: z.array(z.string(expected('expected an agent name')), expected('expected a list of agent names')).optional(),
  agent: str('One agent (same as agents: [name]).', 'expected an agent name').optional(),
  branches: z.array(Branch, expected('expected a list of branches')).optional(),
  merge_condition: z.enum(['all_complete', 'any_complete', 'first_complete']).optional(),
  condition: str('Expression, or the bare name of an output of the stage before.').optional(),
  on_true: str('Stage run when the condition is true.', 'expected a stage name').optional(),
  on_false: str('Stage run when the condition is false.', 'expected a stage name').optional(),
});

const shape = WorkflowFile.shape;

export const StagesFile = strict({
  $schema: shape.$schema,
  workflow: strict({
    name: shape.name,
    version: shape.version,
    description: shape.description,
    environment: shape.environment,
    inputs: shape.inputs,
    trigger: shape.trigger,
    timeout: shape.timeout,
    concurrency: shape.concurrency,
    notifications: shape.notifications,
    stages: z.array(Stage, expected('expected a list of stages')).min(1, { error: 'a workflow needs at least one stage' }),
  }),
  agents: z.record(z.string(), Task, expected('expected a mapping of agent name: task')).optional(),
});

export const WORKFLOW_FIELDS = ['version', 'description', 'environment', 'inputs', 'trigger', 'timeout', 'concurrency', 'notifications'] as const;
