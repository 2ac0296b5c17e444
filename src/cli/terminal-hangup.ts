// When the terminal goes away (its window is closed, ssh drops), the REPL must still shut down in order (end the
// turn, close the MCP servers, write the log) and then end as a hung-up terminal program does: by SIGHUP.
// Two things stand in the way. Ink's own SIGHUP handler restores the cursor on a terminal that is gone, and the
// write fails with EIO; unhandled, that error ends the process before any of the shutdown. And on a normal exit
// Node 20 restores the terminal's modes and asserts that this succeeded, which it cannot after a hang-up: the
// process aborts. Dying of the signal after the shutdown skips that restore, like any program killed by SIGHUP.

export interface HangupWatch {
  /** True once the terminal hung up (SIGHUP, or EIO writing to it or reading from it). */
  readonly happened: boolean;
  stop(): void;
}

/** Calls `onHangup` once when the terminal hangs up, and from then on drops the errors of writing to it. */
export function watchHangup(onHangup: () => void): HangupWatch {
  let happened = false;
  const hungUp = () => {
    if (happened) return;
    happened = true;
    onHangup();
  };
  // Only a gone terminal's errors are expected here; anything else stays an error.
  const onStreamError = (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EIO' && err.code !== 'EPIPE') throw err;
    hungUp();
  };
  process.on('SIGHUP', hungUp);
  process.stdout.on('error', onStreamError);
  process.stdin.on('error', onStreamError);
  return {
    get happened() {
      return happened;
    },
    stop() {
      process.off('SIGHUP', hungUp);
      // The stream handlers stay: the shutdown after a hang-up may still write to the gone terminal.
      if (!happened) {
        process.stdout.off('error', onStreamError);
        process.stdin.off('error', onStreamError);
      }
    },
  };
}

/** Ends the process by SIGHUP, as the shell expects of a program whose terminal hung up. */
export function dieOfHangup(): never {
  process.removeAllListeners('SIGHUP');
  process.kill(process.pid, 'SIGHUP');
  // The signal is delivered on the way back from kill(2); this line is not reached.
  process.exit(129);
}
