// The transcript: user messages, streamed assistant text with its reasoning, tool cards and notices. Finished
// entries are printed once in full (above the live area); the live area shows the entries still changing, each
// cut to a few rows so that it always stays shorter than the terminal.
import React from 'react';
import { Box, Text } from 'ink';
import type { TranscriptItem } from '../state/transcript.js';
import { fitRow, tailRows } from '../terminal-text.js';
import { glyphs, theme } from '../theme.js';
import { Reasoning } from './Reasoning.js';
import { Rows } from './Rows.js';
import { ToolCard } from './ToolCard.js';

/** A pasted 40k-character message is not printed in full again: its first rows and a count. */
const USER_MAX_ROWS = 12;
const DEFAULT_WIDTH = 79;

function noticeColor(level: 'info' | 'warn' | 'error'): string {
  return level === 'error' ? theme.error : level === 'warn' ? theme.warn : theme.info;
}

function noticeText(item: Extract<TranscriptItem, { kind: 'notice' }>): string {
  return `${item.level === 'error' ? 'error: ' : ''}${item.text}`;
}

function assistantText(item: Extract<TranscriptItem, { kind: 'assistant' }>): string {
  return item.continued ? item.text : item.text.replace(/^\n+/, '');
}

export function TranscriptEntry({ item, expanded, width = DEFAULT_WIDTH }: { item: TranscriptItem; expanded: boolean; width?: number }): React.ReactElement {
  switch (item.kind) {
    case 'user':
      return (
        <Box marginTop={1}>
          <Text color={theme.user} bold>
            {glyphs.prompt}{' '}
          </Text>
          <Rows text={item.text} width={width - 2} color={theme.user} maxRows={USER_MAX_ROWS} />
        </Box>
      );
    case 'assistant': {
      const text = assistantText(item);
      // A continued part that is empty is a blank line of the answer; an empty first part is no text at all.
      const show = item.continued === true || text.trim() !== '';
      return (
        <Box flexDirection="column">
          <Reasoning text={item.reasoning} expanded={expanded} width={width - 1} />
          {show ? <Rows text={text} width={width} /> : null}
        </Box>
      );
    }
    case 'tool':
      return <ToolCard item={item} expanded={expanded} width={width} />;
    case 'notice':
      return <Rows text={noticeText(item)} width={width} color={noticeColor(item.level)} />;
  }
}

/** Rows an entry of the live area takes besides the streamed text (see LiveEntry). */
export function liveEntryRows(item: TranscriptItem): number {
  switch (item.kind) {
    case 'user':
      return 2;
    case 'tool':
      return 2;
    case 'notice':
      return 1;
    case 'assistant':
      return item.reasoning.trim() === '' ? 0 : 3;
  }
}

/**
 * An entry of the live area: one or two rows, except the streamed text, which shows its last `textRows` rows
 * (the rows above are printed in full once the line is finished).
 */
export function LiveEntry({ item, width, textRows }: { item: TranscriptItem; width: number; textRows: number }): React.ReactElement | null {
  switch (item.kind) {
    case 'user':
      return (
        <Box marginTop={1}>
          <Text color={theme.user} bold>
            {glyphs.prompt} {fitRow(item.text, width - 2)}
          </Text>
        </Box>
      );
    case 'notice':
      return <Text color={noticeColor(item.level)}>{fitRow(noticeText(item), width)}</Text>;
    case 'tool':
      return <ToolCard item={item} expanded={false} width={width} compact />;
    case 'assistant': {
      const { rows } = tailRows(assistantText(item), width, textRows);
      const hasText = assistantText(item) !== '';
      return (
        <Box flexDirection="column">
          <Reasoning text={item.reasoning} expanded={false} width={width - 1} />
          {hasText
            ? rows.map((row, i) => (
                <Text key={i}>{row === '' ? ' ' : row}</Text>
              ))
            : null}
        </Box>
      );
    }
  }
}

export function MessageList({ items, expanded, width }: { items: TranscriptItem[]; expanded: boolean; width?: number }): React.ReactElement {
  return (
    <Box flexDirection="column">
      {items.map((item) => (
        <TranscriptEntry key={item.id} item={item} expanded={expanded} {...(width !== undefined ? { width } : {})} />
      ))}
    </Box>
  );
}
