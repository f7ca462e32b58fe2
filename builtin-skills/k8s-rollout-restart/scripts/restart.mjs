// k8s-rollout-restart: `kubectl rollout restart deployment/<name>` (new pods replace the old
// ones, as the deployment's strategy says), then, unless wait is false, `kubectl rollout
// status` until the new pods are ready or the timeout passes.
import { booleanInput, main } from './lib.mjs';
import { kubectl, nameInput, timeoutArg } from './kubectl.mjs';

main(async () => {
  const deployment = nameInput('deployment');
  const namespace = nameInput('namespace', 'default');
  const wait = booleanInput('wait', true);
  const timeout = timeoutArg('timeout', '5m');
  const target = `deployment/${deployment}`;
  const message = (await kubectl(['rollout', 'restart', target, '-n', namespace])).trim();
  const restartedAt = new Date().toISOString();
  if (wait) {
    const hint = `the deployment was restarted, but its pods were not ready in time: look at them (kubectl get pods -n ${namespace}; kubectl describe ${target} -n ${namespace}), or roll it back (the skill k8s-rollout-undo)`;
    await kubectl(['rollout', 'status', target, '-n', namespace, timeout], hint);
  }
  return { deployment, namespace, restarted_at: restartedAt, rolled_out: wait, message };
});
