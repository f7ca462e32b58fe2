/**
 * The API's routes for circuit breakers (docs/server.md#circuit-breakers; server/api.ts has
 * the rest): the circuits of the caller's namespace, and a reset, in the same style: zod
 * schemas that validate requests and make the OpenAPI document.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { circuitViews, resetCircuit } from '../runs/circuits.js';
import { CIRCUIT_NAME } from '../spec/normalize-circuits.js';
import { errors } from './api-schemas.js';
import { auditNote, principalOf } from './auth.js';
import type { Daemon } from './daemon.js';

const Circuit = z
  .object({
    namespace: z.string(),
    name: z.string(),
    state: z.enum(['closed', 'open', 'half_open']),
    failures: z.number().describe('closed: the failures within its window now'),
    limits: z.object({ failures: z.number(), window_ms: z.number(), open_for_ms: z.number(), probes: z.number() }).optional(),
    opened_at: z.string().optional(),
    opened_after: z.number().optional().describe('the failures within the window that opened it; absent when a failed probe did'),
    next_probe_at: z.string().optional(),
    probes: z.array(z.object({ run_id: z.string(), task: z.string(), attempt: z.number(), since: z.string(), until: z.string() })).optional(),
    updated_at: z.string().optional(),
  })
  .openapi('Circuit');

const CircuitName = z
  .string()
  .max(200)
  .regex(CIRCUIT_NAME, 'a circuit name (letters, digits and _ . -)')
  .openapi({ param: { name: 'name', in: 'path' }, example: 'payments-api' });

const routes = {
  circuits: createRoute({
    method: 'get',
    path: '/api/circuits',
    summary: "The circuit breakers of the caller's namespace: state, failures in the window, when each opened and lets a probe through (those baton.config.yaml declares are listed closed until they fail)",
    responses: { 200: { description: 'circuits, by name', content: { 'application/json': { schema: z.object({ circuits: z.array(Circuit) }) } } } },
  }),
  reset: createRoute({
    method: 'post',
    path: '/api/circuits/{name}/reset',
    summary: 'Close a circuit at once and forget its failures: the attempts of the tasks naming it go through again',
    request: { params: z.object({ name: CircuitName }) },
    responses: { 200: { description: 'closed; `was` is the circuit as it was', content: { 'application/json': { schema: z.object({ name: z.string(), reset: z.literal(true), was: Circuit }) } } }, ...errors(400, 404) },
  }),
};

export function mountCircuitRoutes(app: OpenAPIHono, daemon: Daemon): void {
  app.openapi(routes.circuits, async (c) => {
    const namespace = principalOf(c).namespace;
    const circuits = await circuitViews(daemon.store, { namespace, declared: declared(c, daemon) });
    return c.json({ circuits }, 200);
  });
  app.openapi(routes.reset, async (c) => {
    const { name } = c.req.valid('param');
    const was = await resetCircuit(daemon.store, { namespace: principalOf(c).namespace, name });
    auditNote(c, { target: name, detail: { was: was.state } });
    return c.json({ name, reset: true as const, was }, 200);
  });
}

/** The circuits baton.config.yaml declares, as the caller's namespace is served with them. */
function declared(c: Context, daemon: Daemon) {
  return daemon.catalog(principalOf(c).namespace).extras.circuits ?? {};
}
