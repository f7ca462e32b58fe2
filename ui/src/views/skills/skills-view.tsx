/**
 * `/skills`: the skills catalog (the project's, its config's folders, baton's built-in
 * ones), searched as `baton skills search` ranks them (GET /api/skills?q=), each with its
 * description, tags, where it comes from and the inputs its entry takes. The query is in
 * the URL (?q=), so a search can be linked to.
 */
import { useEffect, useState } from 'preact/hooks';
import { ErrorBanner, ViewHeader } from '../../lib/components.js';
import { navigate, useRoute } from '../../lib/router.js';
import { useApi } from '../../lib/use-api.js';
import '../workflows/workflows.css';
import './skills.css';

interface SkillInput {
  type: string;
  description?: string;
  default?: unknown;
  required?: boolean;
}
interface SkillItem {
  name: string;
  description: string;
  tags?: string[];
  runnable: boolean;
  from?: string;
  score?: number;
  interface?: { kind: string; inputs?: Record<string, SkillInput>; outputs?: string[]; note?: string };
}

export function SkillsView() {
  const { search } = useRoute();
  const q = search.get('q') ?? '';
  const [text, setText] = useState(q);
  // The URL follows the box a moment after typing stops, so each key is not a request.
  useEffect(() => {
    const timer = setTimeout(() => {
      if (text.trim() !== q) navigate(text.trim() === '' ? '/skills' : `/skills?q=${encodeURIComponent(text.trim())}`, true);
    }, 250);
    return () => clearTimeout(timer);
  }, [text]);
  const { data, error, loading } = useApi<{ skills: SkillItem[] }>(`/api/skills?inputs=true${q ? `&limit=50&q=${encodeURIComponent(q)}` : ''}`);
  const skills = data?.skills ?? [];
  return (
    <section>
      <ViewHeader title="Skills">
        <input type="search" class="skill-search" placeholder="search: what should it do?" aria-label="search skills" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
      </ViewHeader>
      <ErrorBanner error={error} />
      {!loading && data && skills.length === 0 ? <p class="muted">{q ? `No skill fits "${q}".` : 'No skills: add folders with a SKILL.md (docs/skills.md).'}</p> : null}
      <div class="skills">
        {skills.map((s) => (
          <article key={s.name} class="skill" data-skill={s.name}>
            <header>
              <h2 class="mono">{s.name}</h2>
              <span class="muted small">
                {s.from ?? ''}
                {s.runnable ? '' : ' · instructions only'}
              </span>
            </header>
            <p>{s.description}</p>
            {s.tags ? (
              <div>
                {s.tags.map((t) => (
                  <span key={t} class="label-chip">
                    {t}
                  </span>
                ))}
              </div>
            ) : null}
            <Inputs skill={s} />
          </article>
        ))}
      </div>
    </section>
  );
}

function Inputs(props: { skill: SkillItem }) {
  const iface = props.skill.interface;
  if (!iface) return null;
  const inputs = Object.entries(iface.inputs ?? {});
  return (
    <div class="skill-inputs">
      {inputs.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th>input</th>
              <th>type</th>
              <th>default</th>
              <th>what</th>
            </tr>
          </thead>
          <tbody>
            {inputs.map(([name, spec]) => (
              <tr key={name}>
                <td class="mono">
                  {name}
                  {spec.required && spec.default === undefined ? <span class="required"> *</span> : null}
                </td>
                <td>{spec.type}</td>
                <td class="mono small">{spec.default === undefined ? '' : JSON.stringify(spec.default)}</td>
                <td class="small wrap">{spec.description ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : iface.inputs ? (
        <p class="muted small">Takes no inputs.</p>
      ) : null}
      {iface.note ? <p class="muted small">{iface.note}</p> : null}
    </div>
  );
}
