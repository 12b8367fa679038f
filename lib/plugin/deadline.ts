import { TimeoutError } from '../errors.ts';

/**
 * The whole run's deadline (-t). Its signal is handed to every child process and request so
 * they are cancelled together; onExpire reports and exits without waiting for them, because
 * NRPE's socket timeout would otherwise speak first.
 */
export class Deadline {
  private readonly controller: AbortController;
  private readonly timer: NodeJS.Timeout | undefined;
  readonly expiresAt: number;
  /** The deadline that owns the timer; itself, unless this is a child(). */
  readonly root: Deadline;
  /** What the run is waiting for, so a timeout can say where it stuck. */
  activity = '';

  constructor(
    readonly seconds: number,
    onExpire: (deadline: Deadline) => void,
    parent?: Deadline,
  ) {
    if (parent) {
      this.controller = parent.controller;
      this.expiresAt = parent.expiresAt;
      this.root = parent.root;
      return;
    }
    this.controller = new AbortController();
    this.root = this;
    this.expiresAt = Date.now() + seconds * 1000;
    this.timer = setTimeout(() => {
      this.controller.abort(new TimeoutError(this.reason()));
      onExpire(this);
    }, seconds * 1000);
  }

  /**
   * The same deadline with an activity of its own: checks run side by side under one deadline
   * (`microk8s-checks all`) each say what they were waiting for.
   */
  child(): Deadline {
    return new Deadline(this.seconds, () => undefined, this);
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
    clearTimeout(this.root.timer);
  }
}
