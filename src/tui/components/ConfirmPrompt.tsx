// Asks whether a tool call may run: y once, a always (this tool, this session), n deny. Enter and Esc deny.
import React from 'react';
import { Box, Text, useInput } from 'ink';
import type { ConfirmAnswer, ConfirmationRequest } from '../../agent/loop/events.js';
import { formatArgs } from '../format.js';
import { theme } from '../theme.js';

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

export function ConfirmPrompt({
  request,
  onAnswer,
  captureKeys = true,
}: {
  request: ConfirmationRequest;
  onAnswer: (answer: ConfirmAnswer) => void;
  /** Off when a parent routes the keys (the REPL does, so no key is lost while this mounts). */
  captureKeys?: boolean;
}): React.ReactElement {
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
        <Text bold>{request.server}</Text>
      </Text>
      <Text>
        <Text color="gray">tool   </Text>
        <Text bold>{request.tool}</Text>
      </Text>
      <Text color="gray">arguments</Text>
      <Text>{formatArgs(request.arguments, '', true)}</Text>
      <Text color="gray">{request.reason}</Text>
      <Text>
        <Text color={theme.ok}>[y]</Text> once  <Text color={theme.accent}>[a]</Text> always for this tool this session{'  '}
        <Text color={theme.failed}>[N]</Text> deny (Enter)
      </Text>
    </Box>
  );
}
