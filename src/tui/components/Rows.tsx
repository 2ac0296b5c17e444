// Text as rows the REPL wrapped itself (see terminal-text.ts): Ink never has to wrap them again.
import React from 'react';
import { Box, Text } from 'ink';
import { wrapRows } from '../terminal-text.js';

export function Rows({ text, width, color, dim, maxRows }: { text: string; width: number; color?: string; dim?: boolean; maxRows?: number }): React.ReactElement {
  const all = wrapRows(text, width);
  const rows = maxRows !== undefined && all.length > maxRows ? all.slice(0, Math.max(1, maxRows - 1)) : all;
  const hidden = all.length - rows.length;
  return (
    <Box flexDirection="column">
      {rows.map((row, i) => (
        <Text key={i} color={color} dimColor={dim}>
          {row === '' ? ' ' : row}
        </Text>
      ))}
      {hidden > 0 ? <Text color="gray">{`… ${hidden} more rows`}</Text> : null}
    </Box>
  );
}
