// U3 replaces this with the Skills view: route /skills, no props.
import { ViewHeader } from '../../lib/components.js';

export function SkillsView() {
  return <ViewHeader title="Skills" />;
}
