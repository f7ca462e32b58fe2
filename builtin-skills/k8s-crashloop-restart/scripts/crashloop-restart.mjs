// k8s-crashloop-restart: finds the pods of a namespace (optionally those matching a label
// selector) with a container waiting in CrashLoopBackOff and deletes them, so that their
// controller (a ReplicaSet, StatefulSet, Job...) creates them afresh, without the back-off
// delay. A pod no controller owns would not come back: it is left alone and reported.
import { booleanInput, badInput, input, main } from './lib.mjs';
import { kubectl, nameInput } from './kubectl.mjs';

main(async () => {
  const namespace = nameInput('namespace', 'default');
  const selector = input('selector', '').trim();
  if (selector.startsWith('-')) throw badInput(`input selector: ${JSON.stringify(selector)} is not a label selector (e.g. app=web, tier in (api,worker))`);
  const dryRun = booleanInput('dry_run', false);
  const args = ['get', 'pods', '-n', namespace];
  if (selector !== '') args.push('-l', selector);
  args.push('-o', 'json');
  const pods = parsePods(await kubectl(args));

  const crashing = pods.filter((pod) => crashLooping(pod) && !pod.metadata?.deletionTimestamp);
  const restart = crashing.filter((pod) => (pod.metadata?.ownerReferences ?? []).some((owner) => owner.controller));
  const skipped = crashing.filter((pod) => !restart.includes(pod)).map((pod) => ({ pod: pod.metadata.name, reason: 'not deleted: no controller owns it, so it would not come back' }));
  const names = restart.map((pod) => pod.metadata.name);
  // A pod its controller replaced between the two calls is not an error.
  if (names.length > 0 && !dryRun) await kubectl(['delete', 'pod', ...names, '-n', namespace, '--ignore-not-found']);
  return { restarted: names, count: names.length, skipped, dry_run: dryRun, namespace, pods: pods.length };
});

function parsePods(text) {
  let list;
  try {
    list = JSON.parse(text);
  } catch (err) {
    throw new Error(`kubectl get pods -o json printed something that is not JSON (${err.message})`);
  }
  return Array.isArray(list?.items) ? list.items : [];
}

function crashLooping(pod) {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  return statuses.some((status) => status.state?.waiting?.reason === 'CrashLoopBackOff');
}
