// The REPL's side of MCP prompt commands and @ mentions: prepares such input (fetching the prompt, reading the
// attachments) before the turn starts, and completes names on Tab. Candidates for an ambiguous completion are
// shown as a notice.
import { useCallback, type Dispatch } from 'react';
import { completeInput } from '../agent/input/completion.js';
import { needsPreparation, prepareInput } from '../agent/input/prepare.js';
import type { ReplBackend } from './backend.js';
import { SLASH_COMMANDS } from './slash-commands.js';
import type { TranscriptAction } from './state/transcript.js';

const MAX_SHOWN_CANDIDATES = 30;

function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;
}

export interface McpInput {
  /** Whether the line is a prompt command or has mentions (then `submit` must be used instead of a plain turn). */
  wants(line: string): boolean;
  submit(line: string): void;
  complete(value: string, cursor: number): { value: string; cursor: number } | null;
}

export function useMcpInput(backend: ReplBackend, dispatch: Dispatch<TranscriptAction>, startTurn: (text: string, shown?: string) => void): McpInput {
  const ctx = backend.input;
  const wants = useCallback((line: string) => ctx !== undefined && needsPreparation(line, ctx), [ctx]);

  const submit = useCallback(
    (line: string) => {
      if (!ctx) return startTurn(line);
      dispatch({ type: 'task_started' });
      prepareInput(line, ctx).then(
        (prepared) => {
          dispatch({ type: 'turn_ended' });
          startTurn(prepared.text, line);
          if (prepared.prompt) dispatch({ type: 'notice', level: 'info', text: `${prepared.prompt}: sent the prompt's text (${formatBytes(Buffer.byteLength(prepared.text))})` });
          for (const a of prepared.attachments) {
            const cut = a.truncated ? `, cut to the ${formatBytes(ctx.maxAttachmentBytes)} cap` : '';
            dispatch({ type: 'notice', level: a.truncated ? 'warn' : 'info', text: `attached @${a.label} (${formatBytes(a.bytes)}${cut})` });
          }
        },
        (err: Error) => {
          dispatch({ type: 'turn_ended' });
          dispatch({ type: 'notice', level: 'error', text: `${err.message} (not sent; ↑ brings the message back)` });
        },
      );
    },
    [ctx, dispatch, startTurn],
  );

  const complete = useCallback(
    (value: string, cursor: number) => {
      if (!ctx) return null;
      const done = completeInput(value, cursor, { catalog: ctx.catalog, commands: SLASH_COMMANDS.map((c) => c.name), cwd: ctx.cwd });
      if (done.candidates.length > 1) {
        const shown = done.candidates.slice(0, MAX_SHOWN_CANDIDATES).join('  ');
        const more = done.candidates.length > MAX_SHOWN_CANDIDATES ? `  … ${done.candidates.length - MAX_SHOWN_CANDIDATES} more` : '';
        dispatch({ type: 'notice', level: 'info', text: `${shown}${more}` });
      }
      return done.value === value ? null : { value: done.value, cursor: done.cursor };
    },
    [ctx, dispatch],
  );
  return { wants, submit, complete };
}
