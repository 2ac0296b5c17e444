// Run inside a terminal: prints each sample on a fresh line and asks the terminal where the cursor ended up
// (a cursor position report), i.e. how many columns the terminal gave the sample. Writes the widths as JSON.
import { readFileSync, writeFileSync } from 'node:fs';

const [samplesFile, outFile] = process.argv.slice(2);
const samples = JSON.parse(readFileSync(samplesFile, 'utf8')) as string[];

function cursorColumn(): Promise<number> {
  return new Promise((resolve) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      const m = /\u001b\[(\d+);(\d+)R/.exec(buffer);
      if (!m) return;
      process.stdin.off('data', onData);
      resolve(Number(m[2]) - 1);
    };
    process.stdin.on('data', onData);
    process.stdout.write('\u001b[6n');
  });
}

process.stdin.setRawMode(true);
process.stdin.resume();
const widths: number[] = [];
for (const sample of samples) {
  process.stdout.write(`\r\u001b[2K${sample}`);
  widths.push(await cursorColumn());
}
writeFileSync(outFile, JSON.stringify(widths));
process.stdin.setRawMode(false);
process.exit(0);
