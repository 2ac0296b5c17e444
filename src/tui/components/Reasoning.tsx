// The model's reasoning, dimmed; collapsed to its last lines (one row each) unless expanded (ctrl-o).
import React from 'react';
import { Box, Text } from 'ink';
import { fitRow } from '../terminal-text.js';
import { theme } from '../theme.js';
import { Rows } from './Rows.js';

const COLLAPSED_LINES = 2;

export function Reasoning({ text, expanded, width = 78 }: { text: string; expanded: boolean; width?: number }): React.ReactElement | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const lines = trimmed.split('\n');
  const shown = expanded ? lines : lines.slice(-COLLAPSED_LINES);
  const hidden = lines.length - shown.length;
  return (
    <Box flexDirection="column" marginLeft={1}>
      <Text color={theme.reasoning} dimColor italic>
        {hidden > 0 ? `thinking (${hidden} earlier lines hidden, ctrl-o to expand)` : 'thinking'}
      </Text>
      {expanded ? (
        <Rows text={shown.join('\n')} width={width} color={theme.reasoning} dim />
      ) : (
        shown.map((line, i) => (
          <Text key={i} color={theme.reasoning} dimColor>
            {fitRow(line, width) || ' '}
          </Text>
        ))
      )}
    </Box>
  );
}
