// One tool call: server, tool, arguments, a spinner while it runs, its duration and a preview of its result.
import React from 'react';
import { Box, Text } from 'ink';
import type { TranscriptItem } from '../state/transcript.js';
import { formatArgs, formatDuration, previewLines } from '../format.js';
import { fitRow } from '../terminal-text.js';
import { glyphs, theme } from '../theme.js';
import { Rows } from './Rows.js';
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

/** One tool call; `compact` (the live area) shows only its header and arguments, one row each. */
export function ToolCard({ item, expanded, width = 79, compact = false }: { item: ToolItem; expanded: boolean; width?: number; compact?: boolean }): React.ReactElement {
  const args = formatArgs(item.args, item.rawArgs, expanded);
  const finished = item.status !== 'running' && item.status !== 'awaiting';
  const body = item.result ?? '';
  const preview = expanded ? { lines: body.replace(/\s+$/, '').split('\n'), hidden: 0 } : previewLines(body, PREVIEW_LINES);
  const isError = item.status !== 'done';
  const inner = width - 3;
  const label = `${statusLabel[item.status]}${finished && item.durationMs !== undefined ? ` in ${formatDuration(item.durationMs)}` : ''}${
    item.rule && isError ? ` (${item.rule})` : ''
  }`;
  const server = item.server ?? '?';
  const tool = item.tool ?? item.name;
  // The header is cut as a whole: server and tool names come from the servers and can be long.
  const header = fitRow(`${server} · ${tool} ${label}`, inner);
  const named = header.startsWith(`${server} · ${tool} `);
  return (
    <Box flexDirection="column" marginLeft={1}>
      <Box>
        <StatusGlyph status={item.status} />
        <Text> </Text>
        {named ? (
          <>
            <Text bold>{server}</Text>
            <Text color="gray"> · </Text>
            <Text bold color={item.status === 'done' ? undefined : statusColor[item.status]}>
              {tool}
            </Text>
            <Text color="gray"> {header.slice(`${server} · ${tool} `.length)}</Text>
          </>
        ) : (
          <Text bold>{header}</Text>
        )}
      </Box>
      <Box marginLeft={2}>
        {expanded && !compact ? <Rows text={args} width={inner - 2} color="gray" /> : <Text color="gray">{fitRow(args, inner - 2) || ' '}</Text>}
      </Box>
      {!compact && finished && body !== '' ? (
        <Box flexDirection="column" marginLeft={2}>
          {preview.lines.map((line, i) =>
            expanded ? (
              <Box key={i}>
                <Text color={isError ? statusColor[item.status] : undefined}>{'│ '}</Text>
                <Rows text={line} width={inner - 4} {...(isError && statusColor[item.status] ? { color: statusColor[item.status] } : {})} />
              </Box>
            ) : (
              <Text key={i} color={isError ? statusColor[item.status] : undefined}>
                {'│ '}
                {fitRow(line, inner - 4)}
              </Text>
            ),
          )}
          {preview.hidden > 0 ? <Text color="gray">{`│ … ${preview.hidden} more lines (ctrl-o to expand)`}</Text> : null}
        </Box>
      ) : null}
    </Box>
  );
}
