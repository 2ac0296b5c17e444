// The transcript: user messages, streamed assistant text with its reasoning, tool cards and notices.
import React from 'react';
import { Box, Text } from 'ink';
import type { TranscriptItem } from '../state/transcript.js';
import { glyphs, theme } from '../theme.js';
import { Reasoning } from './Reasoning.js';
import { ToolCard } from './ToolCard.js';

export function TranscriptEntry({ item, expanded }: { item: TranscriptItem; expanded: boolean }): React.ReactElement {
  switch (item.kind) {
    case 'user':
      return (
        <Box marginTop={1}>
          <Text color={theme.user} bold>
            {glyphs.prompt}{' '}
          </Text>
          <Text color={theme.user}>{item.text}</Text>
        </Box>
      );
    case 'assistant':
      return (
        <Box flexDirection="column">
          <Reasoning text={item.reasoning} expanded={expanded} />
          {item.text.trim() !== '' ? <Text>{item.text.replace(/^\n+/, '')}</Text> : null}
        </Box>
      );
    case 'tool':
      return <ToolCard item={item} expanded={expanded} />;
    case 'notice':
      return (
        <Text color={item.level === 'error' ? theme.error : item.level === 'warn' ? theme.warn : theme.info}>
          {item.level === 'error' ? 'error: ' : ''}
          {item.text}
        </Text>
      );
  }
}

export function MessageList({ items, expanded }: { items: TranscriptItem[]; expanded: boolean }): React.ReactElement {
  return (
    <Box flexDirection="column">
      {items.map((item) => (
        <TranscriptEntry key={item.id} item={item} expanded={expanded} />
      ))}
    </Box>
  );
}
