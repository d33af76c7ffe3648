/**
 * Admission control for issuance: at most `limit` certificates in flight (signing, gating, recording) at once.
 * Past it a request is refused at once with 503 + Retry-After instead of joining a queue whose wait only grows:
 * under overload the accepted rate stays at capacity and the latency of accepted requests stays bounded.
 */
export class OverloadedError extends Error {
  readonly httpStatus = 503;
  readonly retryAfterSeconds = 1;
  constructor(limit: number) {
    super(`too many enrollments in progress (${limit}), retry later`);
    this.name = 'OverloadedError';
  }
}

export class AdmissionLimit {
  private active = 0;

  constructor(
    readonly limit: number,
    private readonly onRefused: () => void = () => {},
  ) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new TypeError('the in-flight limit must be a positive integer');
  }

  get inFlight(): number {
    return this.active;
  }

  /**
   * Throws OverloadedError when there is no room right now, without taking a slot: a front end calls it before
   * authenticating and reading the body, so that shedding load costs as little as possible.
   */
  assertRoom(): void {
    if (this.active >= this.limit) {
      this.onRefused();
      throw new OverloadedError(this.limit);
    }
  }

  /** Runs `work` if there is room, else throws OverloadedError without running it. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    this.assertRoom();
    this.active++;
    try {
      return await work();
    } finally {
      this.active--;
    }
  }
}
