// U3 replaces this with the Workflows view: route /workflows, no props.
import { ViewHeader } from '../../lib/components.js';

export function WorkflowsView() {
  return <ViewHeader title="Workflows" />;
}
