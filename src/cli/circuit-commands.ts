/**
 * The commands of circuit breakers (docs/cli.md#baton-circuits): `baton circuits` (or `baton circuits list`)
 * lists them, `baton circuits reset NAME` closes one. Wired like the rest of main.ts: the
 * command's code is imported when it runs.
 */
import type { Command } from 'commander';
import { storeOption } from './store.js';

export function circuitCommands(program: Command): void {
  const circuits = program
    .command('circuits')
    .description("the circuit breakers tasks name with `circuit:`: list them (the default), or reset one");
  circuits
    .command('list', { isDefault: true })
    .description("each circuit's state (closed, open, half_open), failures in its window, when it opened and when it lets a probe through")
    .option('--json', 'print {circuits: [{namespace, name, state, failures, limits, opened_at, opened_after, next_probe_at, probes, updated_at}]}')
    .option('--namespace <name>', "only this namespace's circuits (default: every namespace's)")
    .addOption(storeOption())
    .action(async (flags: { json?: boolean; namespace?: string; store?: string }) => {
      process.exitCode = await (await import('./commands/circuits.js')).list(flags);
    });
  circuits
    .command('reset')
    .description('close a circuit at once and forget its failures: the attempts of the tasks naming it go through again (audited as circuit.reset)')
    .argument('<name>', 'the circuit, as `baton circuits` lists it')
    .option('--namespace <name>', 'the namespace whose circuit it is', 'default')
    .option('--json', 'print {circuit, namespace, reset, was}')
    .addOption(storeOption())
    .action(async (name: string, flags: { json?: boolean; namespace?: string; store?: string }) => {
      process.exitCode = await (await import('./commands/circuits.js')).reset(name, flags);
    });
}
