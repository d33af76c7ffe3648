/** Callers waiting until the read models have applied a log position (read your writes). */

export class ProjectionTimeoutError extends Error {
  constructor(position: number, reached: number) {
    super(`projections did not reach position ${position} in time (at ${reached})`);
    this.name = 'ProjectionTimeoutError';
  }
}

interface Waiter {
  position: number;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class PositionWaiters {
  private waiters: Waiter[] = [];

  /** `applied` reads the position the read models have reached. */
  constructor(private readonly applied: () => number) {}

  wait(position: number, timeoutMs: number): Promise<void> {
    if (this.applied() >= position) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        position,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new ProjectionTimeoutError(position, this.applied()));
        }, timeoutMs),
      };
      // Not unref'd: a process waiting for another node's events (the subscription polls on an unref'd timer) must stay alive.
      this.waiters.push(waiter);
    });
  }

  /** Resolves every waiter whose position has been applied. */
  release(): void {
    if (this.waiters.length === 0) return;
    const applied = this.applied();
    const ready = this.waiters.filter((w) => w.position <= applied);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.position > applied);
    for (const waiter of ready) {
      clearTimeout(waiter.timer);
      waiter.resolve();
    }
  }

  rejectAll(error: Error): void {
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.waiters = [];
  }
}
