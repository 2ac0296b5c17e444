// Restart policy for stdio servers that die: exponential backoff, capped, with a maximum number of
// consecutive attempts. A server that stayed up long enough counts as healthy again.

export interface RestartPolicy {
  /** Delay before the first restart. */
  initialDelayMs: number;
  /** Upper bound of the delay. */
  maxDelayMs: number;
  /** Multiplier between consecutive delays. */
  factor: number;
  /** Consecutive restarts allowed before the server is marked failed. */
  maxAttempts: number;
  /** Uptime after which a crash starts a fresh series of attempts. */
  stableAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 500,
  maxDelayMs: 8_000,
  factor: 2,
  maxAttempts: 5,
  stableAfterMs: 30_000,
};

/** Delay before restart number `attempt` (1-based): 0.5 s, 1 s, 2 s, ... capped at maxDelayMs. */
export function restartDelay(policy: RestartPolicy, attempt: number): number {
  const raw = policy.initialDelayMs * policy.factor ** Math.max(0, attempt - 1);
  return Math.min(policy.maxDelayMs, Math.round(raw));
}

/** Counts consecutive restarts of one server. `now` is injectable so tests can use a fake clock. */
export class RestartTracker {
  private attempts = 0;
  private upSince: number | undefined;

  constructor(
    readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY,
    private readonly now: () => number = Date.now,
  ) {}

  /** Total restarts in the current series. */
  get attempt(): number {
    return this.attempts;
  }

  /** Forgets the attempts so far (a user asked for a fresh start). */
  reset(): void {
    this.attempts = 0;
    this.upSince = undefined;
  }

  markConnected(): void {
    this.upSince = this.now();
  }

  /**
   * Called when the server died. Returns the restart to schedule, or undefined when the attempts are
   * used up.
   */
  next(): { attempt: number; delayMs: number } | undefined {
    if (this.upSince !== undefined && this.now() - this.upSince >= this.policy.stableAfterMs) this.attempts = 0;
    this.upSince = undefined;
    if (this.attempts >= this.policy.maxAttempts) return undefined;
    this.attempts += 1;
    return { attempt: this.attempts, delayMs: restartDelay(this.policy, this.attempts) };
  }
}
