// Tab completion of the prompt input: slash commands and MCP prompts (`/server:prompt`), a prompt's arguments
// (`name=`, those not given yet), MCP resources (`@server:uri`) and files under the working directory (`@path`). Completes the word before the cursor to the
// longest prefix all candidates share, and returns the candidates so the UI can show them.
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { InputCatalog } from './types.js';

export interface Completion {
  /** The word before the cursor replaced by the completed one. */
  value: string;
  cursor: number;
  /** Everything that matched (empty: nothing did). */
  candidates: string[];
}

const MAX_FILE_CANDIDATES = 200;

function commonPrefix(words: string[]): string {
  let prefix = words[0] ?? '';
  for (const w of words) while (!w.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

function fileCandidates(partial: string, cwd: string): string[] {
  const slash = partial.lastIndexOf('/');
  const dirPart = slash >= 0 ? partial.slice(0, slash + 1) : '';
  const dir = resolve(cwd, dirPart || '.');
  if (!resolve(dir).startsWith(resolve(cwd))) return [];
  try {
    const namePart = partial.slice(slash + 1);
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.name.startsWith(namePart) && (namePart.startsWith('.') || !e.name.startsWith('.')))
      .slice(0, MAX_FILE_CANDIDATES)
      .map((e) => `${dirPart}${e.name}${e.isDirectory() ? '/' : ''}`)
      .sort();
  } catch {
    return [];
  }
}

/** `name=` for each argument of the prompt the line invokes that the line does not give yet. */
function promptArgumentCandidates(before: string, word: string, catalog: InputCatalog): string[] {
  const m = /^\/([^\s:/]+):(\S+)\s/.exec(before);
  if (!m || word.includes('=')) return [];
  const prompt = catalog.prompts().find((p) => p.server === m[1] && p.name === m[2]);
  const given = new Set([...before.matchAll(/\s([^\s=]+)=/g)].map((g) => g[1]));
  return (prompt?.arguments ?? []).filter((a) => !given.has(a.name)).map((a) => `${a.name}=`).filter((a) => a.startsWith(word));
}

export function completeInput(
  value: string,
  cursor: number,
  ctx: { catalog: InputCatalog; commands: string[]; cwd: string },
): Completion {
  const before = value.slice(0, cursor);
  const start = before.search(/\S*$/);
  const word = before.slice(start);
  let candidates: string[] = [];
  const argumentCandidates = start > 0 ? promptArgumentCandidates(before, word, ctx.catalog) : [];
  if (argumentCandidates.length > 0) candidates = argumentCandidates;
  else if (start === 0 && word.startsWith('/')) {
    const all = [...ctx.commands.map((c) => `/${c}`), ...ctx.catalog.prompts().map((p) => `/${p.server}:${p.name}`)];
    candidates = all.filter((c) => c.startsWith(word));
  } else if (word.startsWith('@')) {
    const partial = word.slice(1);
    const resources = ctx.catalog.resources().map((r) => `@${r.server}:${r.uri}`);
    candidates = [...resources.filter((r) => r.startsWith(word)), ...fileCandidates(partial, ctx.cwd).map((f) => `@${f}`)];
  }
  if (candidates.length === 0) return { value, cursor, candidates };
  let completed = commonPrefix(candidates);
  if (completed.length < word.length) return { value, cursor, candidates };
  // A finished word gets its space; a directory or an argument name goes on (a file name, the value).
  if (candidates.length === 1 && !completed.endsWith('/') && !completed.endsWith('=')) completed += ' ';
  const next = value.slice(0, start) + completed + value.slice(cursor);
  return { value: next, cursor: start + completed.length, candidates };
}
