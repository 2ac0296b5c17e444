// Elicitation: a server asks the user for input, as a small form (flat schema of string, number, boolean and
// enum fields) or by sending them to a URL. The host supplies the handler: the TUI shows a form; --print and
// serve decline at once with the reason, so a server can never hang a non-interactive run.
import type { ElicitRequest, ElicitResult } from '@modelcontextprotocol/sdk/types.js';

export type FieldValue = string | number | boolean | string[];

export interface FormField {
  name: string;
  title: string;
  description?: string;
  kind: 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'multi-enum';
  required: boolean;
  default?: FieldValue;
  /** enum and multi-enum: the values and how to show them. */
  options?: Array<{ value: string; label: string }>;
  /** string formats (email, uri, date, date-time). */
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
}

export type ElicitationRequest =
  | { mode: 'form'; server: string; message: string; fields: FormField[] }
  | { mode: 'url'; server: string; message: string; url: string; elicitationId: string };

export type ElicitationAnswer =
  | { action: 'accept'; content?: Record<string, FieldValue> }
  | { action: 'decline'; reason?: string }
  | { action: 'cancel'; reason?: string };

/** Answers a server's elicitation; `signal` aborts when the server cancels or the connection closes. */
export type ElicitationHandler = (request: ElicitationRequest, signal: AbortSignal) => Promise<ElicitationAnswer>;

/** The handler of contexts where nobody can be asked: declines with the reason, and tells `notify` why. */
export function declineElicitations(reason: string, notify?: (message: string) => void): ElicitationHandler {
  return async (req) => {
    notify?.(`MCP server '${req.server}' asked for input ("${oneLine(req.message)}"); declined: ${reason}`);
    return { action: 'decline', reason };
  };
}

type Schema = Record<string, unknown>;

/** The fields of a form request's flat schema, in the order the server listed them. */
export function formFields(requestedSchema: Schema): FormField[] {
  const props = (requestedSchema.properties ?? {}) as Record<string, Schema>;
  const required = new Set(Array.isArray(requestedSchema.required) ? (requestedSchema.required as string[]) : []);
  return Object.entries(props).map(([name, p]) => fieldOf(name, p, required.has(name)));
}

function fieldOf(name: string, p: Schema, required: boolean): FormField {
  const base: FormField = {
    name,
    title: typeof p.title === 'string' ? p.title : name,
    ...(typeof p.description === 'string' ? { description: p.description } : {}),
    kind: 'string',
    required,
  };
  const num = (k: string) => (typeof p[k] === 'number' ? { [k]: p[k] as number } : {});
  if (p.type === 'boolean') return { ...base, kind: 'boolean', ...(typeof p.default === 'boolean' ? { default: p.default } : {}) };
  if (p.type === 'number' || p.type === 'integer') {
    return { ...base, kind: p.type, ...num('minimum'), ...num('maximum'), ...(typeof p.default === 'number' ? { default: p.default } : {}) };
  }
  if (p.type === 'array') {
    const items = (p.items ?? {}) as Schema;
    const options = optionsOf(items);
    const def = Array.isArray(p.default) ? { default: (p.default as unknown[]).map(String) } : {};
    return { ...base, kind: 'multi-enum', options, ...num('minItems'), ...num('maxItems'), ...def };
  }
  const options = optionsOf(p);
  const def = typeof p.default === 'string' ? { default: p.default } : {};
  if (options.length > 0) return { ...base, kind: 'enum', options, ...def };
  return {
    ...base,
    ...(typeof p.format === 'string' ? { format: p.format } : {}),
    ...num('minLength'),
    ...num('maxLength'),
    ...def,
  };
}

/** enum (+ legacy enumNames), or oneOf/anyOf of {const, title}. */
function optionsOf(s: Schema): Array<{ value: string; label: string }> {
  if (Array.isArray(s.enum)) {
    const names = Array.isArray(s.enumNames) ? (s.enumNames as unknown[]) : [];
    return (s.enum as unknown[]).map((v, i) => ({ value: String(v), label: typeof names[i] === 'string' ? (names[i] as string) : String(v) }));
  }
  const alts = (Array.isArray(s.oneOf) ? s.oneOf : Array.isArray(s.anyOf) ? s.anyOf : []) as Schema[];
  return alts.filter((a) => a.const !== undefined).map((a) => ({ value: String(a.const), label: typeof a.title === 'string' ? a.title : String(a.const) }));
}

/** Parses what a user typed for one field; returns the value or a one-line reason it is not valid. */
export function parseFieldInput(field: FormField, text: string): { value: FieldValue } | { error: string } {
  const t = text.trim();
  switch (field.kind) {
    case 'boolean': {
      if (/^(y|yes|true|1|on)$/i.test(t)) return { value: true };
      if (/^(n|no|false|0|off)$/i.test(t)) return { value: false };
      return { error: `${field.title}: answer yes or no` };
    }
    case 'number':
    case 'integer': {
      const n = Number(t);
      if (t === '' || !Number.isFinite(n)) return { error: `${field.title}: not a number` };
      return checkField(field, n);
    }
    case 'enum':
      return checkField(field, t);
    case 'multi-enum':
      return checkField(field, t === '' ? [] : t.split(',').map((s) => s.trim()).filter((s) => s !== ''));
    default:
      return checkField(field, text);
  }
}

/** Checks one value against its field's constraints. */
export function checkField(field: FormField, value: FieldValue): { value: FieldValue } | { error: string } {
  const bad = (why: string) => ({ error: `${field.title}: ${why}` });
  switch (field.kind) {
    case 'boolean':
      return typeof value === 'boolean' ? { value } : bad('expected yes or no');
    case 'number':
    case 'integer':
      if (typeof value !== 'number') return bad('expected a number');
      if (field.kind === 'integer' && !Number.isInteger(value)) return bad('expected a whole number');
      if (field.minimum !== undefined && value < field.minimum) return bad(`at least ${field.minimum}`);
      if (field.maximum !== undefined && value > field.maximum) return bad(`at most ${field.maximum}`);
      return { value };
    case 'enum': {
      const hit = field.options?.find((o) => o.value === value || o.label === value);
      return hit ? { value: hit.value } : bad(`one of ${field.options?.map((o) => o.value).join(', ')}`);
    }
    case 'multi-enum': {
      if (!Array.isArray(value)) return bad('expected a list');
      const out: string[] = [];
      for (const v of value) {
        const hit = field.options?.find((o) => o.value === v || o.label === v);
        if (!hit) return bad(`'${v}' is not one of ${field.options?.map((o) => o.value).join(', ')}`);
        out.push(hit.value);
      }
      if (field.minItems !== undefined && out.length < field.minItems) return bad(`choose at least ${field.minItems}`);
      if (field.maxItems !== undefined && out.length > field.maxItems) return bad(`choose at most ${field.maxItems}`);
      return { value: out };
    }
    default: {
      if (typeof value !== 'string') return bad('expected text');
      if (field.minLength !== undefined && value.length < field.minLength) return bad(`at least ${field.minLength} characters`);
      if (field.maxLength !== undefined && value.length > field.maxLength) return bad(`at most ${field.maxLength} characters`);
      if (field.format === 'email' && value !== '' && !/^[^\s@]+@[^\s@]+$/.test(value)) return bad('not an email address');
      if (field.format === 'date' && value !== '' && !/^\d{4}-\d{2}-\d{2}$/.test(value)) return bad('expected YYYY-MM-DD');
      if (field.format === 'uri' && value !== '' && !URL.canParse(value)) return bad('not a URL');
      return { value };
    }
  }
}

/** Checks a whole answer: every required field present, every value valid. The first problem, or undefined. */
export function validateFormContent(fields: FormField[], content: Record<string, FieldValue>): string | undefined {
  for (const f of fields) {
    const v = content[f.name];
    if (v === undefined || v === '') {
      if (f.required) return `${f.title}: required`;
      continue;
    }
    const checked = checkField(f, v);
    if ('error' in checked) return checked.error;
  }
  return undefined;
}

/** The SDK request as the handler sees it. */
export function toElicitationRequest(server: string, params: ElicitRequest['params']): ElicitationRequest {
  if (params.mode === 'url') {
    return { mode: 'url', server, message: params.message, url: params.url, elicitationId: params.elicitationId };
  }
  return { mode: 'form', server, message: params.message, fields: formFields(params.requestedSchema as Schema) };
}

/** The protocol result; a decline's reason travels in _meta (the result itself has no field for it). */
export function toElicitResult(answer: ElicitationAnswer): ElicitResult {
  if (answer.action === 'accept') return { action: 'accept', ...(answer.content ? { content: answer.content } : {}) };
  return { action: answer.action, ...(answer.reason ? { _meta: { 'vmlx/reason': answer.reason } } : {}) };
}

function oneLine(s: string): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
}
