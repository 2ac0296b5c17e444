// `vmlx sessions list|show|rm`: the saved chat conversations (the session store).
import type { Command } from 'commander';
import { conversationText, sessionLine } from '../../agent/sessions/format.js';
import { SessionStore } from '../../agent/sessions/store.js';
import { UserError } from '../errors.js';

function limitOf(value: string | undefined): number {
  if (value === undefined) return 20;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UserError(`--limit: expected a positive whole number, got '${value}'`);
  return Number(value);
}

function withStore<T>(run: (store: SessionStore) => T): T {
  const store = SessionStore.open();
  try {
    return run(store);
  } finally {
    store.close();
  }
}

export function registerSessionsCommand(program: Command): void {
  const sessions = program
    .command('sessions')
    .description('the saved chat conversations: list them, show one, remove some (resume with vmlx chat --resume ID)');

  sessions
    .command('list')
    .description('saved conversations, most recent first')
    .option('--limit <n>', 'how many (default 20)')
    .option('--json', 'one JSON object per line')
    .action((o: { limit?: string; json?: boolean }) => {
      const rows = withStore((s) => s.list(limitOf(o.limit)));
      if (o.json) for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
      else if (rows.length === 0) process.stdout.write('no saved sessions yet (vmlx chat saves every conversation)\n');
      else process.stdout.write(`${rows.map(sessionLine).join('\n')}\n`);
    });

  sessions
    .command('show <id>')
    .description('one conversation (the id, or a unique start of it)')
    .option('--json', 'the session and its messages as one JSON object')
    .action((id: string, o: { json?: boolean }) => {
      const { summary, messages } = withStore((s) => {
        const found = s.find(id);
        return { summary: found, messages: s.messages(found.id) };
      });
      if (o.json) return void process.stdout.write(`${JSON.stringify({ ...summary, messages })}\n`);
      process.stdout.write(`${sessionLine(summary)}\nid ${summary.id} · started ${summary.createdAt} in ${summary.cwd}\n\n${conversationText(messages)}\n`);
    });

  sessions
    .command('rm <ids...>')
    .description('remove conversations (ids or unique starts of them)')
    .action((ids: string[]) => {
      withStore((s) => {
        // All ids are checked before anything is removed: a typo removes nothing.
        const found = ids.map((id) => s.find(id));
        for (const f of found) s.remove(f.id);
        process.stdout.write(`removed ${found.length} session${found.length === 1 ? '' : 's'}\n`);
      });
    });
}
