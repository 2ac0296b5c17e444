// Two-level cancellation: the first cancel() aborts the current step (a generation or a round of tool calls),
// the second aborts the whole turn. The loop asks for a fresh step signal before each step.

export type CancelLevel = 'step' | 'turn';

export class TurnCancellation {
  private readonly turnController = new AbortController();
  private stepController: AbortController | null = null;
  private presses = 0;

  constructor(parent?: AbortSignal) {
    if (parent) {
      if (parent.aborted) this.turnController.abort(parent.reason);
      else parent.addEventListener('abort', () => this.turnController.abort(parent.reason), { once: true });
    }
  }

  get turnSignal(): AbortSignal {
    return this.turnController.signal;
  }

  /** A signal for the next step, aborted by a step cancel or by the turn's abort. */
  beginStep(): AbortSignal {
    const step = new AbortController();
    this.stepController = step;
    if (this.turnController.signal.aborted) step.abort(this.turnController.signal.reason);
    else this.turnController.signal.addEventListener('abort', () => step.abort(this.turnController.signal.reason), { once: true });
    return step.signal;
  }

  /** Called when the user presses Esc or Ctrl-C during a turn; says what was aborted. */
  cancel(): CancelLevel {
    this.presses += 1;
    if (this.presses === 1 && this.stepController && !this.stepController.signal.aborted) {
      this.stepController.abort(new Error('step cancelled by the user'));
      return 'step';
    }
    this.abortTurn();
    return 'turn';
  }

  abortTurn(): void {
    if (!this.turnController.signal.aborted) this.turnController.abort(new Error('turn cancelled by the user'));
  }
}
