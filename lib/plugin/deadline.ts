import { TimeoutError } from '../errors.ts';

/**
 * The whole run's deadline (-t). Its signal is handed to every child process and request so
 * they are cancelled together; onExpire reports and exits without waiting for them, because
 * NRPE's socket timeout would otherwise speak first.
 */
export class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  readonly expiresAt: number;
  /** What the run is waiting for, so a timeout can say where it stuck. */
  activity = '';

  constructor(
    readonly seconds: number,
    onExpire: (deadline: Deadline) => void,
  ) {
    this.expiresAt = Date.now() + seconds * 1000;
    this.timer = setTimeout(() => {
      this.controller.abort(new TimeoutError(this.reason()));
      onExpire(this);
    }, seconds * 1000);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  remainingMs(): number {
    return Math.max(0, this.expiresAt - Date.now());
  }

  reason(): string {
    return `timed out after ${this.seconds}s${this.activity ? ` while ${this.activity}` : ''}`;
  }

  cancel(): void {
    clearTimeout(this.timer);
  }
}
