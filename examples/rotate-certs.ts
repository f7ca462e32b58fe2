/**
 * The certificate rotation as a TypeScript workflow, with a fake inventory and
 * `echo` for the renewal so it runs anywhere:
 *
 *   baton run examples/rotate-certs.ts --input env=qa      # waits for the approval (exit 4)
 *   baton approve <run-id>                                   # goes on; waits for the event
 *   baton emit dns.propagated --data '{"ttl": 60}'           # goes on to the end
 *
 * Kill it at any point and `baton resume <run-id>`: the hosts already renewed are not
 * renewed again, and the cool-down wakes at the time first set.
 */
import { workflow } from 'baton';

/** The hosts of an environment (a real one would ask an inventory API, inside the step). */
function inventory(env: string): string[] {
  return ['web1', 'web2', 'web3', 'api1', 'db1'].map((host) => `${host}.${env}`);
}

export default workflow({ name: 'rotate-certs', inputs: { env: 'string' } }, async (ctx, inputs) => {
  const hosts = await ctx.step('list-hosts', () => inventory(inputs.env));
  // One step per host: renew[web1.qa], renew[web2.qa]...
  await ctx.map('renew', hosts, { concurrency: 10 }, async (host) => {
    const renewed = await ctx.sh`echo renewed certificate of ${host}`;
    return renewed.stdout.trim();
  });
  await ctx.sleep('cool-down', '2s');
  await ctx.approval('go-live', { prompt: 'Switch traffic?', timeout: '4h' });
  const dns = await ctx.waitForEvent<{ ttl: number }>('dns-ok', { event: 'dns.propagated', timeout: '1h' });
  return ctx.summary(`renewed ${hosts.length} hosts in ${inputs.env}; DNS propagated (ttl ${dns?.ttl ?? '?'})`);
});
