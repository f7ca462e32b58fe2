import { describe, expect, test } from 'vitest';
import { formatDiagnostic } from '../spec/diagnostics.js';
import { parseConfig } from './project.js';

const problems = (text: string) => parseConfig(text, 'baton.config.yaml').diagnostics.map((d) => formatDiagnostic(d).split('\n')[0]);

describe('resources: in baton.config.yaml', () => {
  test('names pools with their capacities', () => {
    expect(parseConfig('resources:\n  db-migrations: 1\n  gpu: 2\n', 'baton.config.yaml').config).toEqual({ resources: { 'db-migrations': 1, gpu: 2 } });
    expect(parseConfig('resources: {}\n', 'baton.config.yaml').config).toEqual({ resources: {} });
  });

  test('a capacity that is not a whole number of at least 1, a bad name, or not a mapping is reported where it is', () => {
    expect(problems('resources:\n  gpu: 0\n  db: two\n  "a b": 1\n')).toEqual([
      "baton.config.yaml:2:8: error CONFIG_TYPE: the capacity of pool 'gpu' must be a whole number, at least 1",
      "baton.config.yaml:3:7: error CONFIG_TYPE: the capacity of pool 'db' must be a whole number, at least 1",
      "baton.config.yaml:4:3: error CONFIG_TYPE: pool name 'a b' is not one baton takes",
    ]);
    expect(problems('resources: [gpu]\n')).toEqual(['baton.config.yaml:1:12: error CONFIG_TYPE: `resources` must be a mapping of pool name: capacity']);
  });
});
