// U3 replaces this with the Schedules view: route /schedules, no props.
import { ViewHeader } from '../../lib/components.js';

export function SchedulesView() {
  return <ViewHeader title="Schedules" />;
}
