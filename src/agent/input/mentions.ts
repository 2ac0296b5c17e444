// `@server:uri` (an MCP resource) and `@path` (a file under the working directory) in a message: each is read and
// attached after the message's text, cut at a size cap with a marker. A path outside the working directory is
// refused; an `@word` that names neither is left as plain text.
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { capUtf8 } from '../loop/tool-messages.js';
import { InputError, type InputContext } from './types.js';

const MENTION = /(^|\s)@(\S+)/g;
/** Punctuation after a mention that belongs to the sentence, not to the name. */
const TRAILING = /[,;!?)\]]+$/;

export type Mention = { kind: 'resource'; raw: string; server: string; uri: string } | { kind: 'file'; raw: string; path: string };

export interface Attachment {
  /** What the user wrote after '@'. */
  label: string;
  bytes: number;
  truncated: boolean;
}

export interface ExpandedMessage {
  /** The message the model gets: the user's text, then one block per attachment. */
  text: string;
  attachments: Attachment[];
}

/** The mentions in `text`, in order; `@server:uri` counts only for a configured server's name. */
export function findMentions(text: string, servers: readonly string[], cwd: string): Mention[] {
  const out: Mention[] = [];
  for (const m of text.matchAll(MENTION)) {
    const raw = m[2]!.replace(TRAILING, '');
    if (!raw) continue;
    const colon = raw.indexOf(':');
    if (colon > 0 && servers.includes(raw.slice(0, colon)) && colon < raw.length - 1) {
      out.push({ kind: 'resource', raw, server: raw.slice(0, colon), uri: raw.slice(colon + 1) });
    } else if (looksLikePath(raw, cwd)) {
      out.push({ kind: 'file', raw, path: raw });
    }
  }
  return out;
}

/** A mention is a file when it exists, or has a path's shape (a slash or an extension) so a typo is reported. */
function looksLikePath(raw: string, cwd: string): boolean {
  if (/[/\\]/.test(raw) || /\.[A-Za-z0-9]+$/.test(raw)) return true;
  try {
    statSync(resolve(cwd, raw));
    return true;
  } catch {
    return false;
  }
}

function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Reads a file under the working directory (symlinks resolved, so a link cannot lead outside it). */
export function readMentionedFile(path: string, cwd: string): string {
  const root = realpathSync(cwd);
  const target = resolve(cwd, path);
  const outside = `@${path}: refused, it is outside the working directory ${cwd}`;
  if (!isInside(resolve(cwd), target)) throw new InputError(outside);
  let real: string;
  try {
    real = realpathSync(target);
  } catch {
    throw new InputError(`@${path}: no such file under ${cwd}`);
  }
  if (!isInside(root, real)) throw new InputError(outside);
  const stat = statSync(real);
  if (!stat.isFile()) throw new InputError(`@${path}: not a file`);
  const data = readFileSync(real);
  if (data.subarray(0, 8192).includes(0)) throw new InputError(`@${path}: a binary file, not attached`);
  return data.toString('utf8');
}

async function readResourceText(ctx: InputContext, server: string, uri: string): Promise<string> {
  let result;
  try {
    result = await ctx.catalog.readResource(server, uri);
  } catch (err) {
    throw new InputError(`@${server}:${uri}: ${(err as Error).message}`);
  }
  return result.contents
    .map((c) => ('text' in c && typeof c.text === 'string' ? c.text : `[binary content of ${c.uri}${c.mimeType ? ` (${c.mimeType})` : ''} not attached]`))
    .join('\n');
}

function block(tag: string, attrs: string, content: string, maxBytes: number): { text: string; bytes: number; truncated: boolean } {
  const capped = capUtf8(content, maxBytes);
  const marker = capped.truncated ? `\n[attachment truncated: first ${Buffer.byteLength(capped.text)} of ${capped.bytes} bytes]` : '';
  return { text: `<${tag} ${attrs}>\n${capped.text}${marker}\n</${tag}>`, bytes: capped.bytes, truncated: capped.truncated };
}

/** Reads every mention and returns the message with the attachments; the first unreadable one throws. */
export async function expandMentions(text: string, ctx: InputContext): Promise<ExpandedMessage> {
  const mentions = findMentions(text, ctx.servers, ctx.cwd);
  const seen = new Set<string>();
  const blocks: string[] = [];
  const attachments: Attachment[] = [];
  for (const m of mentions) {
    if (seen.has(m.raw)) continue;
    seen.add(m.raw);
    const b =
      m.kind === 'resource'
        ? block('resource', `server="${m.server}" uri="${m.uri}"`, await readResourceText(ctx, m.server, m.uri), ctx.maxAttachmentBytes)
        : block('file', `path="${m.path}"`, readMentionedFile(m.path, ctx.cwd), ctx.maxAttachmentBytes);
    blocks.push(b.text);
    attachments.push({ label: m.raw, bytes: b.bytes, truncated: b.truncated });
  }
  return { text: blocks.length ? `${text}\n\n${blocks.join('\n\n')}` : text, attachments };
}
