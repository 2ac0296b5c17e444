// What an MCP server asks of the user in the middle of a turn: a form, a URL to open, or the use of the
// model (sampling). The prompt takes the keys while it is shown; the REPL stays out of the way.
import React, { useRef } from 'react';
import { Box, Text } from 'ink';
import { useRoutedInput, type KeyRoute } from '../key-route.js';
import type { ElicitationAnswer, ElicitationRequest } from '../../agent/mcp/elicitation.js';
import { openInBrowser } from '../../agent/mcp/oauth/browser.js';
import { samplingSummary } from '../sampling-summary.js';
import type { HostRequest, SamplingVerdict } from '../state/host-requests.js';
import { fitRow } from '../terminal-text.js';
import { theme } from '../theme.js';
import { ElicitationForm, elicitationFormRows } from './ElicitationForm.js';
import { Rows } from './Rows.js';

const URL_MESSAGE_ROWS = 3;
const URL_ROWS = 4;
const URL_PROMPT_ROWS = 4 + URL_MESSAGE_ROWS + URL_ROWS;
const SUMMARY_ROWS = 8;
const SAMPLING_FIXED_ROWS = 5;

/** The most rows the prompt for `req` takes, border included (the live area reserves them). */
export function hostRequestRows(req: HostRequest): number {
  if (req.kind === 'sampling') return SAMPLING_FIXED_ROWS + SUMMARY_ROWS;
  return req.request.mode === 'form' ? elicitationFormRows(req.request) : URL_PROMPT_ROWS;
}

/** Answers at most once, whatever keys follow. */
function useOnce<T extends unknown[]>(fn: (...args: T) => void): (...args: T) => void {
  const done = useRef(false);
  return (...args: T) => {
    if (done.current) return;
    done.current = true;
    fn(...args);
  };
}

function UrlElicitation({
  request,
  onAnswer,
  onNotice,
  width,
  keys,
}: {
  keys: KeyRoute | undefined;
  request: Extract<ElicitationRequest, { mode: 'url' }>;
  onAnswer: (answer: ElicitationAnswer) => void;
  onNotice: (level: 'info' | 'warn', text: string) => void;
  width: number;
}): React.ReactElement {
  const answer = useOnce(onAnswer);
  useRoutedInput(keys, (input, key) => {
    if (key.escape) return answer({ action: 'cancel', reason: 'the user cancelled' });
    const k = input.toLowerCase();
    if (k === 'n' || key.return) return answer({ action: 'decline', reason: 'the user declined to open the URL' });
    if (k !== 'y') return;
    // The browser opens only now, after the user agreed; the URL is shown either way.
    answer({ action: 'accept' });
    void openInBrowser(request.url).then((opened) =>
      onNotice(opened ? 'info' : 'warn', opened ? `opened ${request.url}` : `no browser could be opened (set BROWSER); open ${request.url} yourself`),
    );
  });
  const inner = Math.max(20, width - 4);
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.awaiting} paddingX={1}>
      <Text bold>{fitRow(`MCP server '${request.server}' asks you to open a URL`, inner)}</Text>
      <Rows text={request.message} width={inner} maxRows={URL_MESSAGE_ROWS} />
      {/* The whole URL, wrapped: the user agrees to open what they can read. */}
      <Rows text={request.url} width={inner} color={theme.accent} maxRows={URL_ROWS} />
      <Text>
        <Text color={theme.ok}>[y]</Text> open it in the browser  <Text color={theme.failed}>[N]</Text> decline (Enter)  <Text color="gray">esc cancel</Text>
      </Text>
    </Box>
  );
}

function SamplingApproval({
  request,
  tokenLimit,
  onAnswer,
  width,
  keys,
}: {
  keys: KeyRoute | undefined;
  request: Extract<HostRequest, { kind: 'sampling' }>['request'];
  tokenLimit: number | undefined;
  onAnswer: (verdict: SamplingVerdict, always?: boolean) => void;
  width: number;
}): React.ReactElement {
  const answer = useOnce(onAnswer);
  useRoutedInput(keys, (input, key) => {
    if (key.escape || key.return || input.toLowerCase() === 'n') return answer({ approved: false, reason: 'the user declined' });
    if (input.toLowerCase() === 'y') return answer({ approved: true });
    if (input.toLowerCase() === 'a') return answer({ approved: true }, true);
  });
  const inner = Math.max(20, width - 4);
  const rows = samplingSummary(request.params, tokenLimit).slice(0, SUMMARY_ROWS);
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.awaiting} paddingX={1}>
      <Text bold>{fitRow(`MCP server '${request.server}' wants to use the model`, inner)}</Text>
      {rows.map((row, i) => (
        <Text key={i} color={i === 0 ? undefined : 'gray'}>
          {fitRow(row, inner)}
        </Text>
      ))}
      <Text>
        <Text color={theme.ok}>[y]</Text> allow once  <Text color={theme.accent}>[a]</Text> always for this server this session{'  '}
        <Text color={theme.failed}>[N]</Text> deny (Enter)
      </Text>
    </Box>
  );
}

export function HostRequestPrompt({
  request,
  onNotice,
  width,
  keys,
}: {
  request: HostRequest;
  onNotice: (level: 'info' | 'warn', text: string) => void;
  width: number;
  /** Keys routed by the REPL (absent: the prompt listens itself, as in component tests). */
  keys?: KeyRoute;
}): React.ReactElement {
  if (request.kind === 'sampling') return <SamplingApproval key={request.id} request={request.request} tokenLimit={request.tokenLimit} onAnswer={request.respond} width={width} keys={keys} />;
  const elicitation = request.request;
  if (elicitation.mode === 'url') return <UrlElicitation key={request.id} request={elicitation} onAnswer={request.respond} onNotice={onNotice} width={width} keys={keys} />;
  return <ElicitationForm key={request.id} request={elicitation} onAnswer={request.respond} width={width} keys={keys} />;
}
