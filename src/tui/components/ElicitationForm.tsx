// A server's form request: its message, one row per field (the focused one editable), the focused field's
// description and constraints, and the first problem. Enter moves on and, on the last field, accepts.
import React, { useRef, useState } from 'react';
import { Box, Text } from 'ink';
import { useRoutedInput, type KeyRoute } from '../key-route.js';
import type { ElicitationAnswer, ElicitationRequest } from '../../agent/mcp/elicitation.js';
import { fieldHint, formChunk, initialForm, type FormState } from '../state/elicitation-form.js';
import { fitRow } from '../terminal-text.js';
import { theme } from '../theme.js';
import { Rows } from './Rows.js';

/** Field rows shown at once (a longer form scrolls with the focus). */
export const FORM_FIELD_ROWS = 12;
/** Rows of the server's message (a longer one ends with a count of the rest). */
export const MESSAGE_ROWS = 3;
/** Rows besides the fields and the message: border, title, description, hint, error, keys. */
export const FORM_FIXED_ROWS = 7;

type FormRequest = Extract<ElicitationRequest, { mode: 'form' }>;

function visibleWindow(count: number, focus: number): [number, number] {
  if (count <= FORM_FIELD_ROWS) return [0, count];
  const start = Math.max(0, Math.min(count - FORM_FIELD_ROWS, focus - Math.floor(FORM_FIELD_ROWS / 2)));
  return [start, start + FORM_FIELD_ROWS];
}

export function ElicitationForm({
  request,
  onAnswer,
  width,
  keys,
}: {
  request: FormRequest;
  onAnswer: (answer: ElicitationAnswer) => void;
  width: number;
  keys?: KeyRoute;
}): React.ReactElement {
  const [state, setState] = useState<FormState>(() => initialForm(request.fields));
  // Keys read the latest state through a ref: several keys can arrive before the next render.
  const latest = useRef(state);
  latest.current = state;
  const answered = useRef(false);
  const answer = (a: ElicitationAnswer) => {
    if (answered.current) return;
    answered.current = true;
    onAnswer(a);
  };
  useRoutedInput(keys, (input, key) => {
    if (key.escape) return answer({ action: 'cancel', reason: 'the user cancelled' });
    if (key.ctrl && input === 'd') return answer({ action: 'decline', reason: 'the user declined' });
    const step = formChunk(latest.current, input, key);
    if (step.kind === 'accept') return answer({ action: 'accept', content: step.content });
    if (step.kind === 'decline') return answer({ action: 'decline', reason: 'the user declined' });
    latest.current = step.state;
    setState(step.state);
  });
  const inner = Math.max(20, width - 4);
  const titleWidth = Math.min(28, Math.max(...request.fields.map((f) => f.title.length + (f.required ? 1 : 0)), 4));
  const [from, to] = visibleWindow(request.fields.length, state.focus);
  const focused = request.fields[state.focus];
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.awaiting} paddingX={1}>
      <Text bold>{fitRow(`MCP server '${request.server}' asks for input`, inner)}</Text>
      <Rows text={request.message} width={inner} maxRows={MESSAGE_ROWS} />
      {request.fields.slice(from, to).map((f, i) => {
        const index = from + i;
        const on = index === state.focus;
        const label = `${f.title}${f.required ? '*' : ''}`.padEnd(titleWidth).slice(0, titleWidth);
        const text = state.texts[index] ?? '';
        const shown = f.kind === 'enum' || f.kind === 'boolean' ? `‹ ${text || '-'} ›` : `${text}${on ? '▏' : ''}`;
        return (
          <Text key={f.name} color={on ? theme.accent : undefined}>
            {fitRow(`${on ? '›' : ' '} ${label}  ${shown}`, inner)}
          </Text>
        );
      })}
      <Text color="gray">{fitRow(focused?.description ?? ' ', inner)}</Text>
      <Text color="gray">{fitRow(focused ? fieldHint(focused) || ' ' : ' ', inner)}</Text>
      <Text color={theme.failed}>{fitRow(state.error ?? ' ', inner)}</Text>
      <Text color="gray">{fitRow('enter next (on the last field: accept) · ↑/↓ move · ctrl-u clear · ctrl-d decline · esc cancel', inner)}</Text>
    </Box>
  );
}

export function elicitationFormRows(request: FormRequest): number {
  return FORM_FIXED_ROWS + MESSAGE_ROWS + Math.min(FORM_FIELD_ROWS, request.fields.length);
}
