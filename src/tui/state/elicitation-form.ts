// The state of an elicitation form as the user fills it, and what each key does to it. Pure: the Ink
// component only draws this and feeds it keys. Every field is edited as text (booleans and single-choice
// enums also by toggling/cycling), and checked with the schema's constraints when the user leaves it or
// accepts; an invalid form is never sent.
import { parseFieldInput, type FieldValue, type FormField } from '../../agent/mcp/elicitation.js';

export interface FormState {
  fields: FormField[];
  /** What the user typed per field (defaults prefilled). */
  texts: string[];
  focus: number;
  error: string | null;
}

export interface FormKey {
  upArrow: boolean;
  downArrow: boolean;
  leftArrow: boolean;
  rightArrow: boolean;
  return: boolean;
  tab: boolean;
  shift: boolean;
  backspace: boolean;
  delete: boolean;
  ctrl: boolean;
  meta: boolean;
}

/** What a key led to: keep editing, or the user's decision. */
export type FormStep = { kind: 'edit'; state: FormState } | { kind: 'accept'; content: Record<string, FieldValue> } | { kind: 'decline' };

// eslint-disable-next-line no-control-regex
const CONTROL = /([\u0000-\u001f\u007f])/;

/**
 * A chunk of input as the terminal delivered it: text typed quickly (or pasted) arrives with its Enter,
 * Ctrl-U or Backspace in one piece, so each control character is a key of its own and never part of a value.
 */
export function formChunk(state: FormState, input: string, key: FormKey): FormStep {
  if (input.length <= 1 || !CONTROL.test(input)) return formKey(state, input, key);
  let current = state;
  for (const part of input.split(CONTROL)) {
    if (part === '') continue;
    const plain = { ...key, return: false, backspace: false, delete: false, ctrl: false };
    let step: FormStep;
    if (part === '\r' || part === '\n') step = formKey(current, '', { ...plain, return: true });
    else if (part === '\u0015') step = formKey(current, 'u', { ...plain, ctrl: true });
    else if (part === '\u007f' || part === '\b') step = formKey(current, '', { ...plain, backspace: true });
    else if (part === '\u0004') return { kind: 'decline' };
    else if (CONTROL.test(part)) continue;
    else step = formKey(current, part, plain);
    if (step.kind !== 'edit') return step;
    current = step.state;
  }
  return { kind: 'edit', state: current };
}

export function initialForm(fields: FormField[]): FormState {
  return { fields, texts: fields.map(defaultText), focus: 0, error: null };
}

function defaultText(f: FormField): string {
  const d = f.default;
  if (d === undefined) return '';
  if (f.kind === 'boolean') return d === true ? 'yes' : 'no';
  if (Array.isArray(d)) return d.map((v) => labelOf(f, v)).join(', ');
  if (f.kind === 'enum') return labelOf(f, String(d));
  return String(d);
}

function labelOf(f: FormField, value: string): string {
  return f.options?.find((o) => o.value === value)?.label ?? value;
}

/** The value of one field, or why it is not valid; undefined for an optional field left empty. */
export function fieldValue(f: FormField, text: string): { value?: FieldValue } | { error: string } {
  if (text.trim() === '') return f.required ? { error: `${f.title}: required` } : {};
  return parseFieldInput(f, text);
}

/** All values, or the first invalid field (its index and why). */
export function formContent(state: FormState): { content: Record<string, FieldValue> } | { index: number; error: string } {
  const content: Record<string, FieldValue> = {};
  for (const [i, f] of state.fields.entries()) {
    const v = fieldValue(f, state.texts[i] ?? '');
    if ('error' in v) return { index: i, error: v.error };
    if (v.value !== undefined) content[f.name] = v.value;
  }
  return { content };
}

function withText(state: FormState, text: string): FormState {
  const texts = [...state.texts];
  texts[state.focus] = text;
  return { ...state, texts, error: null };
}

function move(state: FormState, to: number): FormState {
  const focus = Math.max(0, Math.min(state.fields.length - 1, to));
  return { ...state, focus };
}

/** Leaves the focused field for `to` only when its value is valid (the error shows otherwise). */
function leave(state: FormState, to: number): FormState {
  const f = state.fields[state.focus];
  if (!f) return state;
  const v = fieldValue(f, state.texts[state.focus] ?? '');
  if ('error' in v && to > state.focus) return { ...state, error: v.error };
  return { ...move(state, to), error: null };
}

function cycle(state: FormState, f: FormField, step: number): FormState {
  const text = state.texts[state.focus] ?? '';
  if (f.kind === 'boolean') return withText(state, /^(y|yes|true|1|on)$/i.test(text.trim()) ? 'no' : 'yes');
  const options = f.options ?? [];
  if (options.length === 0) return state;
  const at = options.findIndex((o) => o.label === text || o.value === text);
  const next = options[(at + step + options.length) % options.length]!;
  return withText(state, next.label);
}

export function formKey(state: FormState, input: string, key: FormKey): FormStep {
  const edit = (s: FormState): FormStep => ({ kind: 'edit', state: s });
  const f = state.fields[state.focus];
  if (!f) {
    // A form without fields: Enter accepts it as it is.
    return key.return ? { kind: 'accept', content: {} } : edit(state);
  }
  const last = state.focus === state.fields.length - 1;
  if (key.return && last) {
    const all = formContent(state);
    if ('error' in all) return edit({ ...state, focus: all.index, error: all.error });
    return { kind: 'accept', content: all.content };
  }
  if (key.return || (key.tab && !key.shift) || key.downArrow) return edit(leave(state, state.focus + 1));
  if ((key.tab && key.shift) || key.upArrow) return edit(leave(state, state.focus - 1));
  const choice = f.kind === 'boolean' || f.kind === 'enum';
  if (choice && (key.leftArrow || key.rightArrow || input === ' ')) return edit(cycle(state, f, key.leftArrow ? -1 : 1));
  const text = state.texts[state.focus] ?? '';
  if (key.backspace || key.delete) return edit(withText(state, [...text].slice(0, -1).join('')));
  if (key.ctrl && input === 'u') return edit(withText(state, ''));
  if (key.ctrl || key.meta || input === '' || (input.length === 1 && CONTROL.test(input))) return edit(state);
  if (f.kind === 'boolean') {
    if (/^[yY]$/.test(input)) return edit(withText(state, 'yes'));
    if (/^[nN]$/.test(input)) return edit(withText(state, 'no'));
    return edit(state);
  }
  // Pasted text arrives as one input; line breaks in a one-line field become spaces.
  return edit(withText(state, text + input.replace(/\r?\n/g, ' ')));
}

/** How a field is shown after its title: the text, or the choice with its neighbours hinted. */
export function fieldHint(f: FormField): string {
  switch (f.kind) {
    case 'boolean':
      return 'space toggles, y/n';
    case 'enum':
      return `←/→: ${(f.options ?? []).map((o) => o.label).join(' | ')}`;
    case 'multi-enum': {
      const range = f.minItems !== undefined || f.maxItems !== undefined ? ` (${f.minItems ?? 0}-${f.maxItems ?? 'any'})` : '';
      return `comma-separated${range}: ${(f.options ?? []).map((o) => o.label).join(', ')}`;
    }
    case 'number':
    case 'integer': {
      const range = f.minimum !== undefined || f.maximum !== undefined ? ` ${f.minimum ?? '…'} to ${f.maximum ?? '…'}` : '';
      return `${f.kind === 'integer' ? 'whole number' : 'number'}${range}`;
    }
    default:
      return [f.format, f.minLength !== undefined ? `≥${f.minLength} chars` : '', f.maxLength !== undefined ? `≤${f.maxLength} chars` : '']
        .filter((s) => s)
        .join(', ');
  }
}
