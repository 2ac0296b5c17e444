// `vmlx chat --resume` without an id: the recent conversations to pick from with ↑/↓ and Enter (Esc: a new one).
import React, { useRef, useState } from 'react';
import { Box, Text, useInput } from 'ink';
import { sessionLine } from '../../agent/sessions/format.js';
import type { SessionSummary } from '../../agent/sessions/store.js';
import { fitRow, sanitizeForTerminal } from '../terminal-text.js';
import { theme } from '../theme.js';

export const PICKER_TITLE = 'Resume which conversation?  ↑/↓ choose · Enter resume · Esc start a new one';

/** The picker's rows: its title plus one per session. */
export const pickerRows = (choices: readonly SessionSummary[]): number => 1 + choices.length;

export function SessionPicker({
  choices,
  onPick,
  width,
}: {
  choices: readonly SessionSummary[];
  /** The chosen session, or null for a new conversation. */
  onPick: (choice: SessionSummary | null) => void;
  width: number;
}): React.ReactElement {
  const [selected, setSelectedState] = useState(0);
  // Several keys can arrive before React re-renders: moves apply to the latest selection.
  const latest = useRef(0);
  const setSelected = (i: number): void => {
    latest.current = i;
    setSelectedState(i);
  };
  useInput((input, key) => {
    if (key.upArrow) return setSelected(Math.max(0, latest.current - 1));
    if (key.downArrow) return setSelected(Math.min(choices.length - 1, latest.current + 1));
    if (key.return || input === '\r') return onPick(choices[latest.current] ?? null);
    if (key.escape) return onPick(null);
  });
  return (
    <Box flexDirection="column">
      <Text color={theme.accent}>{fitRow(PICKER_TITLE, width)}</Text>
      {choices.map((s, i) => (
        <Text key={s.id} inverse={i === selected}>
          {fitRow(`${i === selected ? '›' : ' '} ${sanitizeForTerminal(sessionLine(s)).replace(/\n/g, ' ')}`, width)}
        </Text>
      ))}
    </Box>
  );
}
