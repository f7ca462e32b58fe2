/** baton.config.yaml's `tracing:` and `server.metrics:`, read and refused at file:line:col. */
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../spec/diagnostics.js';
import { parseConfig } from './project.js';

describe('tracing and server.metrics in baton.config.yaml', () => {
  it('reads what is written', () => {
    const text = 'server:\n  max_running: 8\n  metrics: {auth: false, enabled: true}\ntracing:\n  endpoint: http://localhost:4318\n  headers: {x-team: ops}\n  headers_env: OTLP_HEADERS\n  service_name: baton-ci\n  enabled: true\n';
    const parsed = parseConfig(text, 'baton.config.yaml');
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.config?.server?.metrics).toEqual({ auth: false, enabled: true });
    expect(parsed.config?.tracing).toEqual({ endpoint: 'http://localhost:4318', headers: { 'x-team': 'ops' }, headers_env: 'OTLP_HEADERS', service_name: 'baton-ci', enabled: true });
  });

  it('refuses what cannot work, each at its line and column with a hint', () => {
    const text = 'tracing:\n  endpoint: localhost:4318\n  headers: [a]\n  headers_env: 2bad\n  enpoint: x\nserver:\n  metrics: {auth: yes please}\n';
    const shown = parseConfig(text, 'baton.config.yaml').diagnostics.map((d) => formatDiagnostic(d));
    expect(shown.join('\n')).toMatch(/baton\.config\.yaml:2:13: error CONFIG_TYPE: `tracing\.endpoint` must be an http:\/\/ or https:\/\/ URL/);
    expect(shown.join('\n')).toMatch(/baton\.config\.yaml:3:12: error CONFIG_TYPE: `tracing\.headers` must be a mapping/);
    expect(shown.join('\n')).toMatch(/baton\.config\.yaml:4:16: error CONFIG_TYPE: `tracing\.headers_env` must name an environment variable/);
    expect(shown.join('\n')).toMatch(/baton\.config\.yaml:5:3: error CONFIG_UNKNOWN_FIELD: unknown setting 'tracing\.enpoint' \(did you mean 'endpoint'\?\)/);
    expect(shown.join('\n')).toMatch(/baton\.config\.yaml:7:19: error CONFIG_TYPE: `server\.metrics\.auth` must be true or false/);
  });
});
