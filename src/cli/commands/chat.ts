// `vmlx chat`: the agent REPL (Ink) or, with --print / a piped prompt, one non-interactive turn.
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { ChatSession } from '../../agent/loop/chat-session.js';
import { modelDisplayName, openChatModel, startMcp, type McpSetup, type ModelSource } from '../../agent/loop/chat-runtime.js';
import { runPrintTurn } from '../../agent/loop/print-turn.js';
import type { TurnOptions } from '../../agent/loop/run-turn.js';
import { chatInputContext, preparePrintPrompt } from '../../agent/input/print-input.js';
import { InputError } from '../../agent/input/types.js';
import { SessionLog } from '../../agent/loop/session-log.js';
import { logDir } from '../../agent/paths.js';
import { kvCacheMemoryOption } from '../kv-cache-option.js';
import { dieOfHangup, watchHangup } from '../terminal-hangup.js';
import { resolveParsers, UnknownParserError } from '../../agent/toolcalls/index.js';
import type { LanguageModel } from '../../engine/types.js';
import { formatAuditRow } from '../../tui/audit-lines.js';
import { BootStore } from '../../tui/boot-store.js';
import type { ReplBackend, ReplNotice } from '../../tui/backend.js';
import { auditRetentionOption } from '../audit-options.js';
import { toolSchemaShareOption } from '../tool-schema-option.js';
import { UserError } from '../errors.js';
import { MODEL_ARG_HELP, OFFLINE_OPTION, resolveModelArg } from '../model-arg.js';
import { apiBase } from '../../engine/remote/index.js';
import { RootPathError, RootsRegistry } from '../../agent/mcp/roots.js';
import { declineElicitations } from '../../agent/mcp/elicitation.js';
import { DEFAULT_SAMPLING_MAX_TOKENS, modelSampler } from '../../agent/mcp/sampling.js';
import { APPROVAL_MODES, isApprovalMode, type ApprovalMode } from '../../agent/loop/approvals.js';
import type { ChatSessionOptions } from '../../agent/loop/chat-session.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../../agent/loop/print-turn.js';
import { saveToolPolicy } from '../../agent/mcp/config-edit.js';
import { loadSettings } from '../../agent/settings.js';
import { sessionBrowser } from '../../agent/sessions/browser.js';
import { startNotices, YOLO_BANNER } from '../../tui/session-notices.js';
import { checkResumeFlags, openChatConversation, type ChatConversation } from './chat-sessions.js';
import type { McpHostOptions } from '../../agent/mcp/host.js';
import { HostRequestQueue } from '../../tui/state/host-requests.js';

interface ChatOptions {
  model?: string;
  precise?: boolean;
  kvCacheMemory?: number;
  endpoint?: string;
  scriptedModel?: string;
  mcpConfig?: string;
  yes?: boolean;
  maxRounds?: number;
  toolCallParser: string;
  reasoningParser: string;
  temp?: number;
  maxTokens?: number;
  allowUnsafeMcp?: boolean;
  auditDb?: string;
  auditRetentionDays?: number;
  print?: string;
  thinking: boolean;
  system?: string;
  offline?: boolean;
  root: string[];
  resume?: string | boolean;
  continue?: boolean;
  outputFormat: string;
  approvalMode?: string;
  autoCompact?: number;
  toolSchemaShare?: number;
  toolChoice?: 'required' | { name: string };
}

function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new UserError(`${flag}: '${value}' is not a positive whole number`);
    return n;
  };
}

function collectRoot(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The shared roots: the working directory and every --root (each must be a directory). */
function rootsOf(opts: ChatOptions): RootsRegistry {
  try {
    return new RootsRegistry([process.cwd(), ...opts.root]);
  } catch (err) {
    if (err instanceof RootPathError) throw new UserError(err.message);
    throw err;
  }
}

/** Sampling requests answered by the chat's own model, one at a time. */
function samplerFor(model: LanguageModel, source: ModelSource, opts: ChatOptions) {
  return modelSampler(model, {
    modelName: modelDisplayName(source),
    ...(opts.maxTokens !== undefined ? { maxTokensLimit: opts.maxTokens } : {}),
    toolParser: opts.toolCallParser,
    reasoningParser: opts.reasoningParser,
  });
}

function percentage(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 100) throw new UserError(`--auto-compact: '${value}' is not a whole percentage from 0 to 100`);
  return n;
}

function toolChoiceArg(value: string): 'required' | { name: string } {
  const v = value.trim();
  if (!v) throw new UserError("--tool-choice: give 'required' or a tool's name");
  return v === 'required' ? 'required' : { name: v };
}

function temperature(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 5) throw new UserError(`--temp: '${value}' is not a number between 0 and 5`);
  return n;
}

export function registerChatCommand(program: Command): void {
  program
    .command('chat')
    .description('chat with a local model that calls MCP tools (interactive REPL, or one turn with --print)')
    .option('--model <model>', `${MODEL_ARG_HELP}; with --endpoint, the model name the engine serves`)
    .option('--endpoint <url>', 'use a remote OpenAI-compatible engine (vLLM, SGLang, llama-server, Ollama, vmlx serve) instead of local weights; API key from VMLX_UPSTREAM_API_KEY')
    .option(...OFFLINE_OPTION)
    .addOption(kvCacheMemoryOption())
    .option('--mcp-config <file>', 'MCP servers (default: ~/.vmlx/mcp.json when it exists)')
    .option('-y, --yes', 'run every call the sandbox and policy allow without asking (--approval-mode yolo without the banner)')
    .option('--approval-mode <mode>', "default (policy and sandbox decide, ask for the rest), auto (allow what is not high-risk), plan (nothing that writes runs) or yolo (everything the sandbox allows); switch with /approval-mode")
    .option('--auto-compact <percent>', 'summarise the older turns before a turn once the context would pass this share of the window (0: never; default 85, or settings.json)', percentage)
    .option('--resume [id]', 'continue a saved conversation (an id or its start; without one, the REPL lists the recent ones)')
    .option('-c, --continue', 'continue the most recent saved conversation')
    .option('--output-format <format>', 'with --print: text (answer on stdout), json (one result object) or stream-json (one event per line)', 'text')
    .option('--max-rounds <n>', 'rounds of tool calls per turn (default 10)', positiveInt('--max-rounds'))
    .option('--tool-call-parser <name>', "tool-call format, or 'auto' (from the chat template)", 'auto')
    .option('--reasoning-parser <name>', "reasoning format, 'auto' or 'none'", 'auto')
    .option('--temp <t>', 'sampling temperature (0 = greedy)', temperature)
    .option('--max-tokens <n>', 'tokens generated per round', positiveInt('--max-tokens'))
    .option('--tool-choice <choice>', "'required' or a tool's name: the first round must call (that) tool, enforced by the grammar", toolChoiceArg)
    .option('--no-thinking', 'render the prompt with enable_thinking=false')
    .option('--precise', 'float activations in the quantized matmuls (slower, closest to the float weights; default: int8 or int16 activations, per family)')
    .option('--system <text>', 'a system prompt')
    .option('--allow-unsafe-mcp', 'honour skip_security_validation in the MCP config')
    .option('--root <dir>', 'a directory MCP servers may work in, besides the working directory (repeatable)', collectRoot, [])
    .option('--audit-db <file>', 'audit log database (default: ~/.vmlx/audit.db)')
    .addOption(auditRetentionOption())
    .addOption(toolSchemaShareOption())
    .option('-p, --print <prompt>', 'run one turn non-interactively: answer on stdout, tool activity on stderr')
    .option('--scripted-model <file>', 'testing: replay the outputs of a model script instead of loading weights')
    .addHelpText(
      'after',
      `
Keys: Enter sends; Alt+Enter or a trailing \\ adds a line; Up/Down history; Esc or Ctrl-C cancels
the current step (twice: the turn); Ctrl-O expands tool results and reasoning; Ctrl-C twice at the prompt exits.
Confirmations: y once, a always for this tool this session, s always and save it to the MCP config,
n or Enter deny, Esc deny and stop the turn.
Commands: /help /tools /servers /mcp /audit /clear /compact /sessions /resume /approval-mode /model /exit. The status
line shows the context in use; a message too long for the context is refused (not kept), /compact replaces older
turns with a summary, and that happens on its own past --auto-compact.
MCP prompts run as /server:prompt name=value; @server:uri attaches an MCP resource and @path a file under the
working directory (Tab completes both). When the tool schemas would take more than --tool-schema-share of the
context, the model gets search_tools and call_tool instead (the status line says so).
Every conversation is saved as it goes (vmlx sessions list|show|rm); --resume ID or --continue picks one up.

--print exit codes: 0 answered, 1 error (or bad arguments), 2 answered but a tool call was denied,
3 stopped at the round limit (--max-rounds), 130 interrupted.

Examples:
  vmlx chat --model ~/models/Qwen3-0.6B-4bit --mcp-config mcp.json
  vmlx chat --model ~/models/Qwen3-0.6B-4bit -p "how many files are in /tmp?" --yes
  vmlx chat --model ~/models/Qwen3-0.6B-4bit -p "list /tmp" --output-format json --approval-mode plan
  vmlx chat --model ~/models/Qwen3-0.6B-4bit --continue
  echo "summarise README.md" | vmlx chat --model ~/models/Qwen3-0.6B-4bit --mcp-config mcp.json

--scripted-model FILE (for tests and demos) is JSON: {"rounds": ["output of generation 1", {"text": "...",
"chunkSize": 4, "stallAfter": 10, "error": "..."}], "contextLength": 32768, "chatTemplateFile": "t.jinja",
"recordTo": "requests.jsonl"}. Each generation streams the next output; prompts are rendered with a ChatML +
Hermes tool template (or chatTemplateFile), and recordTo appends every request (messages, tools, prompt).`,
    )
    .action(async (opts: ChatOptions) => {
      process.exitCode = await runChat(opts);
    });
}

function checkOptions(opts: ChatOptions): ModelSource {
  if (opts.model && opts.scriptedModel) throw new UserError('chat: give either --model or --scripted-model, not both');
  if (opts.endpoint && opts.scriptedModel) throw new UserError('chat: --endpoint and --scripted-model cannot be combined');
  if (opts.endpoint && !opts.model) throw new UserError('chat: --endpoint needs --model <name>, the model name the engine serves');
  if (!opts.model && !opts.scriptedModel) throw new UserError('chat: --model <dir or org/name> is required');
  if (opts.kvCacheMemory !== undefined && (opts.endpoint || opts.scriptedModel)) {
    throw new UserError(`chat: --kv-cache-memory applies to local weights, not ${opts.endpoint ? '--endpoint' : '--scripted-model'}`);
  }
  try {
    resolveParsers({ toolParser: opts.toolCallParser, reasoningParser: opts.reasoningParser });
  } catch (err) {
    if (err instanceof UnknownParserError) throw new UserError(err.message);
    throw err;
  }
  if (opts.precise && !opts.model) throw new UserError('chat: --precise applies to local weights (--model), not --scripted-model');
  if (opts.precise && opts.endpoint) throw new UserError('chat: --precise has no effect with --endpoint (the remote engine runs the model)');
  if (opts.endpoint) {
    try {
      apiBase(opts.endpoint);
    } catch (err) {
      throw new UserError(`chat: --endpoint: ${(err as Error).message}`);
    }
    return { remote: { endpoint: opts.endpoint, model: opts.model! } };
  }
  return opts.scriptedModel ? { scriptedModel: opts.scriptedModel } : { dir: opts.model, ...(opts.precise ? { precise: true } : {}) };
}

/** settings.json is read once per chat (the flags are checked again at each use; they do not change). */
const settingsCache = new WeakMap<ChatOptions, ReturnType<typeof loadSettings>>();

/** The settings file, then the flags: the approval mode, the auto-compaction threshold and the output format. */
function chatSettings(opts: ChatOptions): { approvalMode: ApprovalMode; autoCompactPercent: number; format: OutputFormat } {
  const settings = settingsCache.get(opts) ?? loadSettings();
  settingsCache.set(opts, settings);
  const mode = opts.approvalMode ?? settings.approvalMode;
  if (!isApprovalMode(mode)) throw new UserError(`--approval-mode: '${mode}' is not one of ${APPROVAL_MODES.join(', ')}`);
  const format = opts.outputFormat as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format)) throw new UserError(`--output-format: '${opts.outputFormat}' is not one of ${OUTPUT_FORMATS.join(', ')}`);
  return { approvalMode: opts.yes ? 'yolo' : mode, autoCompactPercent: opts.autoCompact ?? settings.autoCompactPercent, format };
}

type ChatTurnOptions = Omit<TurnOptions, 'signal' | 'cancellation' | 'approvals' | 'approvalMode'> & Pick<ChatSessionOptions, 'recorder' | 'autoCompactPercent' | 'approvalMode'>;

function turnOptions(opts: ChatOptions, model: LanguageModel, mcp: McpSetup, sessionId: string, conversation: ChatConversation): ChatTurnOptions {
  const settings = chatSettings(opts);
  return {
    recorder: conversation.recorder,
    approvalMode: settings.approvalMode,
    autoCompactPercent: settings.autoCompactPercent,
    model,
    executor: mcp.manager,
    origin: 'chat',
    sessionId,
    autoApprove: opts.yes === true,
    ...(opts.maxRounds !== undefined ? { maxRounds: opts.maxRounds } : {}),
    ...(opts.toolSchemaShare !== undefined ? { toolSchemaShare: opts.toolSchemaShare } : {}),
    toolParser: opts.toolCallParser,
    reasoningParser: opts.reasoningParser,
    ...(opts.thinking === false ? { enableThinking: false } : {}),
    ...(opts.toolChoice ? { toolChoice: opts.toolChoice } : {}),
    generation: {
      ...(opts.temp !== undefined ? { temperature: opts.temp } : {}),
      ...(opts.maxTokens !== undefined ? { maxTokens: opts.maxTokens } : {}),
    },
  };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function runChat(opts: ChatOptions): Promise<number> {
  let source = checkOptions(opts);
  // Before any UI: a model that has to be pulled shows its download progress on stderr.
  if (source.dir) {
    const resolved = await resolveModelArg(source.dir, { offline: opts.offline });
    source = { dir: resolved.dir, displayName: resolved.displayName, ...(opts.precise ? { precise: true } : {}), ...(opts.kvCacheMemory !== undefined ? { kvCacheMemory: opts.kvCacheMemory } : {}) };
  }
  const interactive = opts.print === undefined && process.stdin.isTTY === true && process.stdout.isTTY === true;
  checkResumeFlags(opts, interactive);
  if (interactive && opts.outputFormat !== 'text') throw new UserError('chat: --output-format applies to --print (or a prompt piped on stdin)');
  chatSettings(opts); // a bad flag or settings file fails before anything starts
  const newId = randomUUID();
  const conversation = openChatConversation(opts, modelDisplayName(source), newId);
  // The audit rows and the log name the conversation, so `vmlx audit` and `vmlx sessions` share ids.
  const sessionId = conversation.resumed?.id ?? newId;
  const log = SessionLog.open(logDir(), sessionId);
  log.write('info', `chat started (${modelDisplayName(source)}${opts.mcpConfig ? `, mcp config ${opts.mcpConfig}` : ''})`);
  try {
    return interactive ? await runInteractive(opts, source, sessionId, log, conversation) : await runPrint(opts, source, sessionId, log, conversation);
  } finally {
    conversation.store.close();
  }
}

/** The MCP servers of a chat, with the host's roots, approvals and (where someone can answer) elicitation. */
function startChatMcp(opts: ChatOptions, sessionId: string, onWarning: (m: string) => void, asker: Pick<McpHostOptions, 'elicitation' | 'samplingApprover'>) {
  return startMcp({
    configPath: opts.mcpConfig,
    allowUnsafe: opts.allowUnsafeMcp,
    auditDbPath: opts.auditDb,
    auditRetentionDays: opts.auditRetentionDays,
    sessionId,
    onWarning,
    host: { roots: rootsOf(opts), autoApprove: opts.yes === true, ...asker },
  });
}

async function runPrint(opts: ChatOptions, source: ModelSource, sessionId: string, log: SessionLog, conversation: ChatConversation): Promise<number> {
  const prompt = opts.print ?? (process.stdin.isTTY ? '' : await readStdin());
  if (prompt.trim() === '') throw new UserError('chat: no prompt: pass --print "..." or pipe one on stdin');
  const warn = (m: string) => {
    log.write('warn', m);
    process.stderr.write(`vmlx: warning: ${m}\n`);
  };
  // Nobody can fill a form in --print: decline at once, so the server's tool call finishes.
  const mcp = startChatMcp(opts, sessionId, warn, {
    elicitation: declineElicitations('--print cannot ask for input (run vmlx chat interactively)', warn),
  });
  let model: LanguageModel | null = null;
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const [loaded] = await Promise.all([openChatModel(source, undefined, warn), mcp.manager.waitUntilSettled()]);
    model = loaded;
    mcp.manager.host.setSampler(samplerFor(loaded, source, opts));
    for (const s of mcp.manager.statuses()) {
      if (s.state === 'failed' || s.state === 'rejected') warn(`MCP server '${s.name}' ${s.state}: ${s.error ?? ''}`);
    }
    const session = new ChatSession({ ...turnOptions(opts, model, mcp, sessionId, conversation), interactive: false, ...(opts.system ? { systemPrompt: opts.system } : {}) });
    if (conversation.resumed) session.resume(conversation.resumed.id, conversation.resumed.messages);
    if (session.approvalMode === 'yolo' && !opts.yes) process.stderr.write(`vmlx: ${YOLO_BANNER}\n`);
    const format = chatSettings(opts).format;
    const code = await runPrintTurn(session, await printPrompt(prompt, mcp.manager, loaded.info.contextLength), { stdout: process.stdout, stderr: process.stderr, signal: abort.signal, format });
    log.write('info', `print turn finished with exit code ${code}`);
    return code;
  } finally {
    process.off('SIGINT', onSigint);
    await mcp.manager.close();
    await model?.dispose();
  }
}

/** A prompt command or @ mentions in --print, prepared as the REPL does; a mistake is a one-line user error. */
async function printPrompt(prompt: string, manager: McpSetup['manager'], contextLength: number): Promise<string> {
  try {
    return await preparePrintPrompt(prompt, manager, process.cwd(), contextLength);
  } catch (err) {
    if (err instanceof InputError) throw new UserError(`chat: ${err.message}`);
    throw err;
  }
}

async function runInteractive(opts: ChatOptions, source: ModelSource, sessionId: string, log: SessionLog, conversation: ChatConversation): Promise<number> {
  // Warnings before the REPL opens are shown when it does; later ones go straight to it.
  const warnings: string[] = [];
  const noticeListeners = new Set<(n: ReplNotice) => void>();
  // Forms, URLs and sampling approvals wait in this queue until the REPL shows them.
  const hostRequests = new HostRequestQueue({ samplingTokenLimit: opts.maxTokens ?? DEFAULT_SAMPLING_MAX_TOKENS });
  const warn = (m: string): void => {
    log.write('warn', m);
    if (noticeListeners.size === 0) warnings.push(m);
    for (const l of noticeListeners) l({ level: 'warn', text: m });
  };
  conversation.onWarning = warn; // nothing may write over the terminal UI
  const mcp = startChatMcp(opts, sessionId, warn, {
    elicitation: hostRequests.elicitationHandler(),
    samplingApprover: hostRequests.samplingApprover(),
  });
  const name = modelDisplayName(source);
  const boot = new BootStore(name);
  boot.servers(mcp.manager.statuses());
  const offServers = mcp.manager.onChange(() => boot.servers(mcp.manager.statuses()));
  // Ink and React load only for the interactive UI. Ink decides at import time whether it runs under CI (a CI
  // variable in the environment) and then draws only the final frame, which leaves a real terminal blank.
  if (process.stdout.isTTY) process.env.CI = 'false';
  const { renderChatUi } = await import('../../tui/run-chat-ui.js');
  const restoreConsole = log.captureConsole();
  const ui = renderChatUi(boot);
  const onSigterm = () => ui.unmount();
  process.once('SIGTERM', onSigterm);
  const hangup = watchHangup(() => ui.unmount());
  let model: LanguageModel | null = null;
  let session: ChatSession | null = null;
  let code = 0;
  try {
    model = await openChatModel(
      source,
      (p) => boot.modelProgress(p.phase, p.fraction),
      (m) => warnings.push(m),
    );
    mcp.manager.host.setSampler(samplerFor(model, source, opts));
    session = new ChatSession({ ...turnOptions(opts, model, mcp, sessionId, conversation), interactive: true, ...(opts.system ? { systemPrompt: opts.system } : {}) });
    if (conversation.resumed) session.resume(conversation.resumed.id, conversation.resumed.messages);
    const loadedModel = model;
    const backend: ReplBackend = {
      session,
      modelName: name,
      modelInfo: loadedModel.info,
      statuses: () => mcp.manager.statuses(),
      tools: () => mcp.manager.listTools(),
      onChange: (l) => mcp.manager.onChange(l),
      hostRequests,
      recentAudit: (limit) => mcp.audit.query({ limit }).reverse().map(formatAuditRow),
      input: chatInputContext(mcp.manager, process.cwd(), loadedModel.info.contextLength),
      mcp: mcp.manager,
      notices: [
        { level: 'info', text: `${name} ready (context ${loadedModel.info.contextLength} tokens) · /help for commands · log: ${log.file}` },
        ...warnings.map((w) => ({ level: 'warn' as const, text: w })),
        ...startNotices(session, conversation),
      ],
      sessions: sessionBrowser(conversation.store),
      ...(conversation.choices?.length ? { resumeChoices: conversation.choices } : {}),
      ...(mcp.configPath ? { saveAlways: (server: string, tool: string) => saveToolPolicy(mcp.configPath!, server, tool, 'allow') } : {}),
      onNotice: (l) => {
        noticeListeners.add(l);
        return () => noticeListeners.delete(l);
      },
    };
    boot.ready(backend);
  } catch (err) {
    const userFacing = (err as { userFacing?: boolean }).userFacing === true;
    log.write('error', (err as Error).stack ?? String(err));
    boot.fail(userFacing ? (err as Error).message : `internal error: ${(err as Error).message} (details in ${log.file})`);
    code = 1;
  }
  try {
    await ui.waitUntilExit();
  } finally {
    process.off('SIGTERM', onSigterm);
    hangup.stop();
    offServers();
    restoreConsole();
    hostRequests.cancelAll();
    // A turn still running (the UI was closed by SIGTERM) ends before its model and tools go away.
    await session?.abort();
    await mcp.manager.close();
    await model?.dispose();
    log.write('info', hangup.happened ? 'chat ended: the terminal hung up' : 'chat ended');
  }
  if (hangup.happened) dieOfHangup();
  return code;
}
