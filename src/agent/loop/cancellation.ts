// Two-level cancellation: the first cancel() aborts the current step (a generation or a round of tool calls),
// the second aborts the whole turn. The loop asks for a fresh step signal before each step.

export type CancelLevel = 'step' | 'turn';

export class TurnCancellation {
  private readonly turnController = new AbortController();
  private stepController: AbortController | null = null;
  /** Removes the previous step's link from the turn signal, so a long turn does not pile up listeners. */
  private unlinkStep: (() => void) | null = null;
  private presses = 0;

  private unlinkParent: (() => void) | null = null;

  constructor(parent?: AbortSignal) {
    if (parent) {
      if (parent.aborted) this.turnController.abort(parent.reason);
      else {
        const forward = () => this.turnController.abort(parent.reason);
        parent.addEventListener('abort', forward, { once: true });
        this.unlinkParent = () => parent.removeEventListener('abort', forward);
      }
    }
  }

  get turnSignal(): AbortSignal {
    return this.turnController.signal;
  }

  /** A signal for the next step, aborted by a step cancel or by the turn's abort. */
  beginStep(): AbortSignal {
    this.unlinkStep?.();
    this.unlinkStep = null;
    const step = new AbortController();
    this.stepController = step;
    const turn = this.turnController.signal;
    if (turn.aborted) step.abort(turn.reason);
    else {
      const forward = () => step.abort(turn.reason);
      turn.addEventListener('abort', forward, { once: true });
      this.unlinkStep = () => turn.removeEventListener('abort', forward);
    }
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

  /** The turn is over: drop the links to the caller's signal (which may outlive many turns) and to the last step. */
  release(): void {
    this.unlinkParent?.();
    this.unlinkParent = null;
    this.unlinkStep?.();
    this.unlinkStep = null;
  }

  abortTurn(): void {
    if (!this.turnController.signal.aborted) this.turnController.abort(new Error('turn cancelled by the user'));
  }
}
