import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseDocument } from 'yaml';
import { workflowJsonSchema, workflowJsonSchemaText } from './schema.js';

const schemaFile = new URL('../../schema/workflow.schema.json', import.meta.url).pathname;
const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url).pathname, 'utf8');

describe('JSON Schema', () => {
  test('the committed schema/workflow.schema.json is what the code generates', () => {
    // UPDATE_SCHEMA=1 npx vitest run src/spec/schema.test.ts rewrites it, as `npm run schema` does.
    if (process.env.UPDATE_SCHEMA === '1') writeFileSync(schemaFile, workflowJsonSchemaText());
    let committed = '';
    try {
      committed = readFileSync(schemaFile, 'utf8');
    } catch {
      // missing: fails below with the same advice
    }
    expect(committed === workflowJsonSchemaText(), 'schema/workflow.schema.json is out of date: run `npm run schema`').toBe(true);
  });

  test('it describes the workflow and task fields, for editors', () => {
    const schema = workflowJsonSchema() as {
      properties: Record<string, { description?: string }>;
      required: string[];
      additionalProperties: boolean;
      $defs: { Task: { properties: Record<string, { description?: string }>; additionalProperties: boolean } };
    };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['$schema', 'name', 'version', 'trigger', 'environment', 'inputs', 'tasks', 'timeout', 'concurrency', 'notifications', 'alerts']),
    );
    expect(schema.required).toEqual(['name', 'tasks']);
    expect(schema.additionalProperties).toBe(false);
    const task = schema.$defs.Task;
    expect(task.additionalProperties).toBe(false);
    expect(Object.keys(task.properties)).toEqual(
      expect.arrayContaining(['id', 'type', 'command', 'depends_on', 'condition', 'if', 'timeout', 'retry', 'on_success', 'on_failure', 'tasks', 'task', 'then', 'else', 'items', 'wait_for', 'url']),
    );
    for (const [name, property] of Object.entries(task.properties)) expect(property.description, `Task.${name}`).toBeTruthy();
    expect(schema.properties.timeout.description).toContain('seconds');
  });

  test.each(['seed-004.json', 'seed-004.yaml'])('%s fits the schema (top-level and task fields)', (name) => {
    const schema = workflowJsonSchema() as { properties: Record<string, unknown>; $defs: { Task: { properties: Record<string, unknown> } } };
    const doc = parseDocument(fixture(name)).toJS() as Record<string, unknown>;
    for (const key of Object.keys(doc)) expect(schema.properties, key).toHaveProperty([key]);
    const taskFields = Object.keys(schema.$defs.Task.properties);
    const visit = (task: Record<string, unknown>): void => {
      for (const key of Object.keys(task)) expect(taskFields, key).toContain(key);
      for (const child of [...((task.tasks as Record<string, unknown>[]) ?? []), task.task, task.then, task.else]) if (child) visit(child as Record<string, unknown>);
    };
    (doc.tasks as Record<string, unknown>[]).forEach(visit);
  });

  test('the YAML fixture names the schema for the YAML language server', () => {
    expect(fixture('seed-004.yaml').split('\n')[0]).toBe('# yaml-language-server: $schema=../../../schema/workflow.schema.json');
  });
});
