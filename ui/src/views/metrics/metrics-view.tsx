// U3 replaces this with the Metrics view: route /metrics, no props.
import { ViewHeader } from '../../lib/components.js';

export function MetricsView() {
  return <ViewHeader title="Metrics" />;
}
