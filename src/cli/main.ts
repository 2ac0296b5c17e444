// CLI entry: runs the commander program and turns user mistakes into one-line errors.
import { buildProgram } from './program.js';
import { UserError } from './errors.js';

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      // commander already printed its message (help, version or a usage error)
      const exitCode = (err as { exitCode?: number }).exitCode ?? 1;
      process.exitCode = exitCode;
      return;
    }
    if (err instanceof UserError || (err as { userFacing?: boolean }).userFacing) {
      process.stderr.write(`vmlx: ${(err as Error).message}\n`);
      process.exitCode = (err as UserError).exitCode ?? 1;
      return;
    }
    process.stderr.write(`vmlx: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 70;
  }
}
