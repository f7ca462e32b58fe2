// k8s-rollout-undo: `kubectl rollout undo deployment/<name>` back to the revision before the
// current one, or to `to_revision`, then, unless wait is false, `kubectl rollout status`
// until the pods of that revision are ready or the timeout passes.
import { booleanInput, main, numberInput } from './lib.mjs';
import { kubectl, nameInput, timeoutArg } from './kubectl.mjs';

main(async () => {
  const deployment = nameInput('deployment');
  const namespace = nameInput('namespace', 'default');
  const toRevision = numberInput('to_revision', 0, { min: 0, integer: true });
  const wait = booleanInput('wait', true);
  const timeout = timeoutArg('timeout', '5m');
  const target = `deployment/${deployment}`;
  const args = ['rollout', 'undo', target, '-n', namespace];
  if (toRevision > 0) args.push(`--to-revision=${toRevision}`);
  const message = (await kubectl(args)).trim();
  if (wait) {
    const hint = `the deployment was rolled back, but its pods were not ready in time: look at them (kubectl get pods -n ${namespace}; kubectl describe ${target} -n ${namespace})`;
    await kubectl(['rollout', 'status', target, '-n', namespace, timeout], hint);
  }
  return { deployment, namespace, to_revision: toRevision, rolled_out: wait, message };
});
