/**
 * A form made from a workflow's `inputs:` (a text field per string, a number field, a
 * true/false select, a JSON text area), filled with the defaults. It checks the values as
 * the server will (input-checks.ts) and shows what is wrong beside each field; then it
 * starts the run (POST /api/workflows/{name}/runs) and opens it. The server's refusal
 * (INPUT_TYPE, RUN_IDEMPOTENCY_CONFLICT, ACCESS_DENIED...) is shown as it says it.
 */
import { useState } from 'preact/hooks';
import { api } from '../../lib/api.js';
import { ErrorBanner } from '../../lib/components.js';
import { navigate } from '../../lib/router.js';
import { checkInputs, initialValues, type FieldValues, type InputSpec } from './input-checks.js';

export function StartForm(props: { workflow: string; inputs: Record<string, InputSpec> }) {
  const [values, setValues] = useState<FieldValues>(() => initialValues(props.inputs));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [serverError, setServerError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const names = Object.keys(props.inputs);

  const set = (name: string, value: string) => {
    setValues({ ...values, [name]: value });
    if (errors[name]) setErrors({ ...errors, [name]: '' });
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    const checked = checkInputs(props.inputs, values);
    setErrors(checked.errors);
    if (Object.keys(checked.errors).length > 0) {
      document.getElementById(`input-${Object.keys(checked.errors)[0]}`)?.focus();
      return;
    }
    setBusy(true);
    setServerError(undefined);
    try {
      const started = await api<{ run_id: string }>(`/api/workflows/${encodeURIComponent(props.workflow)}/runs`, { method: 'POST', body: { inputs: checked.inputs } });
      navigate(`/runs/${started.run_id}`);
    } catch (err) {
      setServerError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="start-form" onSubmit={submit} noValidate>
      {names.length === 0 ? <p class="muted">This workflow takes no inputs.</p> : null}
      {names.map((name) => {
        const spec = props.inputs[name]!;
        const required = spec.required === true && spec.default === undefined;
        const error = errors[name];
        const id = `input-${name}`;
        return (
          <div key={name} class={`field${error ? ' invalid' : ''}`}>
            <label for={id}>
              <span class="mono">{name}</span>
              {required ? <span class="required" title="required"> *</span> : null} <span class="muted small">{spec.type}</span>
            </label>
            <Field id={id} spec={spec} value={values[name] ?? ''} onInput={(v) => set(name, v)} invalid={Boolean(error)} />
            {spec.description ? <div class="muted small">{spec.description}</div> : null}
            {error ? (
              <div class="field-error" role="alert">
                {error}
              </div>
            ) : null}
          </div>
        );
      })}
      <ErrorBanner error={serverError} onDismiss={() => setServerError(undefined)} />
      <button type="submit" disabled={busy}>
        {busy ? 'Starting…' : 'Start run'}
      </button>
    </form>
  );
}

function Field(props: { id: string; spec: InputSpec; value: string; invalid: boolean; onInput: (value: string) => void }) {
  const common = { id: props.id, name: props.id, 'aria-invalid': props.invalid };
  switch (props.spec.type) {
    case 'boolean':
      return (
        <select {...common} value={props.value} onChange={(e) => props.onInput((e.target as HTMLSelectElement).value)}>
          <option value="">{props.spec.default === undefined ? '(not given)' : `(default: ${String(props.spec.default)})`}</option>
          <option value="true">true</option>
          <option value="false">false</option>
        </select>
      );
    case 'json':
      return <textarea {...common} rows={3} class="mono" value={props.value} onInput={(e) => props.onInput((e.target as HTMLTextAreaElement).value)} />;
    case 'number':
      // type=text, not number: a browser's number field hides what was typed when it is not a number, and the check says so instead.
      return <input {...common} inputMode="decimal" value={props.value} onInput={(e) => props.onInput((e.target as HTMLInputElement).value)} />;
    default:
      return <input {...common} value={props.value} onInput={(e) => props.onInput((e.target as HTMLInputElement).value)} />;
  }
}
