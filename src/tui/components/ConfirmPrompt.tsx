// Asks whether a tool call may run: y once, a always (this tool, this session), n or Enter deny. Esc denies and
// cancels the turn (the REPL routes that key).
import React from 'react';
import { Box, Text, useInput } from 'ink';
import type { ConfirmAnswer, ConfirmationRequest } from '../../agent/loop/events.js';
import { formatArgs } from '../format.js';
import { fitRow } from '../terminal-text.js';
import { theme } from '../theme.js';
import { Rows } from './Rows.js';

/** Rows of arguments shown (a call writing a long file shows its beginning and a count of the rest). */
const ARGUMENT_ROWS = 8;
/** The most rows the prompt takes, border included (the live area reserves them). */
export const CONFIRM_PROMPT_ROWS = ARGUMENT_ROWS + 11;

export function answerForKey(input: string, key: { return: boolean; escape: boolean }): ConfirmAnswer | null {
  if (key.return || key.escape) return 'deny';
  switch (input.toLowerCase()) {
    case 'y':
      return 'once';
    case 'a':
      return 'always';
    case 'n':
      return 'deny';
    default:
      return null;
  }
}

/** `s`: always, and saved to the MCP config (only offered when the chat has a config file to write). */
export function isSaveKey(input: string): boolean {
  return input.toLowerCase() === 's';
}

export function ConfirmPrompt({
  request,
  onAnswer,
  captureKeys = true,
  width = 79,
  canSave = false,
}: {
  request: ConfirmationRequest;
  onAnswer: (answer: ConfirmAnswer) => void;
  /** Off when a parent routes the keys (the REPL does, so no key is lost while this mounts). */
  captureKeys?: boolean;
  width?: number;
  /** Offer `s` (the REPL saves the answer to the MCP config). */
  canSave?: boolean;
}): React.ReactElement {
  const inner = Math.max(10, width - 4);
  useInput(
    (input, key) => {
      const answer = answerForKey(input, key);
      if (answer) onAnswer(answer);
    },
    { isActive: captureKeys },
  );
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.awaiting} paddingX={1}>
      <Text bold>Allow this tool call?</Text>
      <Text>
        <Text color="gray">server </Text>
        <Text bold>{fitRow(request.server, inner - 7)}</Text>
      </Text>
      <Text>
        <Text color="gray">tool   </Text>
        <Text bold>{fitRow(request.tool, inner - 7)}</Text>
      </Text>
      <Text color="gray">arguments</Text>
      <Rows text={formatArgs(request.arguments, '', true)} width={inner} maxRows={ARGUMENT_ROWS} />
      <Text color="gray">{fitRow(request.reason, inner)}</Text>
      <Text>
        <Text color={theme.ok}>[y]</Text> once  <Text color={theme.accent}>[a]</Text> always for this tool this session{'  '}
        <Text color={theme.failed}>[N]</Text> deny (Enter)
      </Text>
      {canSave ? (
        <Text>
          <Text color={theme.accent}>[s]</Text> always, and save it to the MCP config (toolPolicies)
        </Text>
      ) : null}
      <Text color="gray">esc: deny and stop the turn</Text>
    </Box>
  );
}
