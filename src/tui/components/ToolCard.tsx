// One tool call: server, tool, arguments, a spinner while it runs, its duration and a preview of its result.
import React from 'react';
import { Box, Text } from 'ink';
import type { TranscriptItem } from '../state/transcript.js';
import { formatArgs, formatDuration, previewLines, truncateLine } from '../format.js';
import { glyphs, theme } from '../theme.js';
import { Spinner } from './Spinner.js';

type ToolItem = Extract<TranscriptItem, { kind: 'tool' }>;

const PREVIEW_LINES = 4;

function StatusGlyph({ status }: { status: ToolItem['status'] }): React.ReactElement {
  switch (status) {
    case 'running':
      return <Spinner color={theme.accent} />;
    case 'awaiting':
      return <Text color={theme.awaiting}>{glyphs.awaiting}</Text>;
    case 'done':
      return <Text color={theme.ok}>{glyphs.done}</Text>;
    case 'denied':
      return <Text color={theme.denied}>{glyphs.denied}</Text>;
    case 'aborted':
      return <Text color={theme.aborted}>{glyphs.aborted}</Text>;
    case 'failed':
      return <Text color={theme.failed}>{glyphs.failed}</Text>;
  }
}

const statusLabel: Record<ToolItem['status'], string> = {
  running: 'running',
  awaiting: 'waiting for your answer',
  done: 'done',
  denied: 'denied',
  aborted: 'aborted',
  failed: 'failed',
};

const statusColor: Record<ToolItem['status'], string | undefined> = {
  running: theme.accent,
  awaiting: theme.awaiting,
  done: theme.ok,
  denied: theme.denied,
  aborted: theme.aborted,
  failed: theme.failed,
};

export function ToolCard({ item, expanded }: { item: ToolItem; expanded: boolean }): React.ReactElement {
  const args = formatArgs(item.args, item.rawArgs, expanded);
  const finished = item.status !== 'running' && item.status !== 'awaiting';
  const body = item.result ?? '';
  const preview = expanded ? { lines: body.replace(/\s+$/, '').split('\n'), hidden: 0 } : previewLines(body, PREVIEW_LINES);
  const isError = item.status !== 'done';
  return (
    <Box flexDirection="column" marginLeft={1}>
      <Box>
        <StatusGlyph status={item.status} />
        <Text> </Text>
        <Text bold>{item.server ?? '?'}</Text>
        <Text color="gray"> · </Text>
        <Text bold color={item.status === 'done' ? undefined : statusColor[item.status]}>
          {item.tool ?? item.name}
        </Text>
        <Text color="gray">
          {' '}
          {statusLabel[item.status]}
          {finished && item.durationMs !== undefined ? ` in ${formatDuration(item.durationMs)}` : ''}
          {item.rule && isError ? ` (${item.rule})` : ''}
        </Text>
      </Box>
      <Box marginLeft={2}>
        <Text color="gray">{expanded ? args : truncateLine(args, 160)}</Text>
      </Box>
      {finished && body !== '' ? (
        <Box flexDirection="column" marginLeft={2}>
          {preview.lines.map((line, i) => (
            <Text key={i} color={isError ? statusColor[item.status] : undefined}>
              {'│ '}
              {expanded ? line : truncateLine(line, 200)}
            </Text>
          ))}
          {preview.hidden > 0 ? <Text color="gray">{`│ … ${preview.hidden} more lines (ctrl-o to expand)`}</Text> : null}
        </Box>
      ) : null}
    </Box>
  );
}
