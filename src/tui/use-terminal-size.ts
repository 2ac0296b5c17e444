// The terminal's size, updated when it is resized. Every row the REPL draws is cut to these columns, and the
// live area is kept below these rows (Ink redraws the whole screen, scrollback included, when it is not).
import { useEffect, useState } from 'react';
import { useStdout } from 'ink';

export interface TerminalSize {
  columns: number;
  rows: number;
}

const FALLBACK: TerminalSize = { columns: 80, rows: 24 };

function sizeOf(stdout: NodeJS.WriteStream): TerminalSize {
  return { columns: stdout.columns || FALLBACK.columns, rows: stdout.rows || FALLBACK.rows };
}

export function useTerminalSize(): TerminalSize {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => sizeOf(stdout));
  useEffect(() => {
    const onResize = () => setSize(sizeOf(stdout));
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

/** Columns text may use: one less than the terminal's, so no row ever ends in the last column. */
export function usableColumns(size: TerminalSize): number {
  return Math.max(10, size.columns - 1);
}
