/**
 * `baton circuits`: the circuit breakers (docs/engine.md#circuit-breakers), their state in
 * the store and those baton.config.yaml declares; `baton circuits reset NAME` closes one.
 */
import { audited } from '../../access/audit.js';
import { localUser } from '../../access/principal.js';
import { projectCircuits } from '../../config/circuits.js';
import { clockTime } from '../../engine/clock-time.js';
import { circuitViews, resetCircuit, type CircuitView } from '../../runs/circuits.js';
import { DEFAULT_NAMESPACE } from '../../store/events.js';
import { EXIT } from '../exit.js';
import { duration } from '../render/format.js';
import { renderTable } from '../render/table.js';
import { visible } from '../render/visible.js';
import { openCliStore, type StoreFlags } from '../store.js';

interface CircuitsFlags extends StoreFlags {
  json?: boolean;
  namespace?: string;
}

export async function list(flags: CircuitsFlags): Promise<number> {
  const store = await openCliStore(flags);
  try {
    const circuits = await circuitViews(store, { ...(flags.namespace ? { namespace: flags.namespace } : {}), declared: projectCircuits() });
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ circuits }, null, 2)}\n`);
      return EXIT.ok;
    }
    if (circuits.length === 0) {
      process.stdout.write('No circuits: declare them under `circuits:` in baton.config.yaml or a workflow, and name one on a task with `circuit:`.\n');
      return EXIT.ok;
    }
    const namespaces = circuits.some((c) => c.namespace !== DEFAULT_NAMESPACE);
    const now = Date.now();
    const head = [...(namespaces ? ['NAMESPACE'] : []), 'CIRCUIT', 'STATE', 'FAILURES', 'OPENED', 'NEXT PROBE'];
    process.stdout.write(renderTable(head, circuits.map((c) => [...(namespaces ? [c.namespace] : []), c.name, c.state, failures(c), opened(c), nextProbe(c, now)])));
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

export async function reset(name: string, flags: CircuitsFlags): Promise<number> {
  const store = await openCliStore(flags);
  try {
    const namespace = flags.namespace ?? DEFAULT_NAMESPACE;
    const was = await audited(store, localUser(namespace), { action: 'circuit.reset', target: name.slice(0, 300) }, () => resetCircuit(store, { namespace, name }));
    if (flags.json) process.stdout.write(`${JSON.stringify({ circuit: name, namespace, reset: true, was }, null, 2)}\n`);
    else process.stdout.write(`circuit ${visible(name)} is closed (it was ${was.state}${was.state === 'closed' ? `, ${failures(was)}` : ''}): its tasks' attempts go through again\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

/** `2/3 in 1m0s`: the failures counted now of those that open it. */
function failures(c: CircuitView): string {
  return c.limits === undefined ? String(c.failures) : `${c.failures}/${c.limits.failures} in ${duration(c.limits.window_ms)}`;
}

function opened(c: CircuitView): string {
  if (c.opened_at === undefined) return '-';
  const at = clockTime(Date.parse(c.opened_at));
  return c.opened_after === undefined ? `${at} (probe failed)` : `${at} (${c.opened_after} failures)`;
}

function nextProbe(c: CircuitView, now: number): string {
  if (c.state === 'half_open') {
    const out = c.probes ?? [];
    return out.length === 0 ? 'now' : `${out.length} out (run ${out[0].run_id} ${out[0].task})`;
  }
  if (c.next_probe_at === undefined) return '-';
  const at = Date.parse(c.next_probe_at);
  return at <= now ? 'now' : `${clockTime(at)} (in ${duration(at - now)})`;
}
