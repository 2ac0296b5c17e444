// A node:test reporter that prints nothing until the run ends, then lists every failed test with its file, line and
// error. run-tests.mjs adds it after the TAP stream, so a long run's failures are in the last lines of its output.
import { relative } from 'node:path';

function firstLines(text, n) {
  const lines = String(text ?? '').split('\n').filter((l) => l.trim() !== '');
  return lines.slice(0, n).join('\n    ');
}

export default async function* failureSummary(source) {
  const failed = [];
  for await (const event of source) {
    if (event.type !== 'test:fail') continue;
    const { name, file, line, details } = event.data;
    const error = details?.error;
    // A failed suite or file repeats its children's failures; keep the tests that failed on their own.
    if (error?.failureType === 'subtestsFailed') continue;
    const where = file ? `${relative(process.cwd(), file)}${line ? `:${line}` : ''}` : '(unknown file)';
    const cause = error?.cause;
    let message = String(cause?.message ?? cause ?? error?.message ?? 'failed').split(/\n\s+at /)[0];
    // An assertion's values, in case its message was shortened on the way from the test's process.
    if (cause && typeof cause === 'object' && 'actual' in cause && !message.includes(String(cause.actual))) {
      message += `\nactual: ${JSON.stringify(cause.actual)}, expected: ${JSON.stringify(cause.expected)}`;
    }
    failed.push(`- ${where}: ${name}\n    ${firstLines(message, 6)}`);
  }
  if (failed.length) yield `\n# ${failed.length} failed:\n${failed.join('\n')}\n`;
}
