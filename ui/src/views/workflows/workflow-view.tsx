// U3 replaces this with the Workflow view: route /workflows/:name, props { name }.
import { ViewHeader } from '../../lib/components.js';

export function WorkflowView(props: { name: string }) {
  return <ViewHeader title={`Workflow ${props.name}`} />;
}
