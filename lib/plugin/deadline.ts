import { ReasonedError, TimeoutError } from '../errors.ts';

/**
 * The whole run's deadline (-t). Its signal is handed to every child process and request so
 * they are cancelled together; onExpire reports and exits without waiting for them, because
 * NRPE's socket timeout would otherwise speak first. A signal (SIGTERM from NRPE's own timeout,
 * Ctrl-C) ends the run the same way, early: stop().
 */
export class Deadline {
  private readonly controller: AbortController;
  private readonly timer: NodeJS.Timeout | undefined;
  readonly expiresAt: number;
  /** The deadline that owns the timer; itself, unless this is a child(). */
  readonly root: Deadline;
  /** What the run is waiting for, so a timeout can say where it stuck. */
  activity = '';
  private readonly isPart: boolean;
  /** The signal that stopped the run early (stop()), if one did: said instead of the timeout. */
  private stopSignal: string | undefined;
  /**
   * Over before the check's code could make it (fromProcessStart: -t spent loading the check): what
   * begins after that was no wait of the run's, which is said to have ended while starting.
   */
  private late = false;

  constructor(
    readonly seconds: number,
    private readonly onExpire: (deadline: Deadline) => void,
    parent?: Deadline,
    /** A part() of the parent: its own signal, ending at this time or with the parent. */
    endsAt?: number,
  ) {
    this.isPart = parent !== undefined && endsAt !== undefined;
    this.late = parent?.late ?? false;
    if (parent && endsAt === undefined) {
      this.controller = parent.controller;
      this.expiresAt = parent.expiresAt;
      this.root = parent.root;
      return;
    }
    this.controller = new AbortController();
    this.root = this;
    this.expiresAt = endsAt ?? Date.now() + seconds * 1000;
    this.timer = setTimeout(
      () => {
        this.controller.abort(new TimeoutError(this.reason()));
        onExpire(this);
      },
      Math.max(0, this.expiresAt - Date.now()),
    );
    if (parent) {
      // A part must not keep the process alive, and ends at once when the run's deadline does.
      this.timer.unref();
      const stop = () => {
        clearTimeout(this.timer);
        this.controller.abort(parent.signal.reason);
      };
      if (parent.signal.aborted) stop();
      else parent.signal.addEventListener('abort', stop, { once: true });
    }
  }

  /**
   * The run's deadline, counted from the start of the process, not from when the check's code got
   * to it: -t is the poller's budget for the whole answer, and loading the check on a node short
   * of CPU (the storm itself) took a second and more, on top of -t (check_nrpe's timeout first).
   */
  static fromProcessStart(seconds: number, onExpire: (deadline: Deadline) => void): Deadline {
    const deadline = new Deadline(seconds, onExpire, undefined, Date.now() - performance.now() + seconds * 1000);
    deadline.late = deadline.remainingMs() === 0;
    return deadline;
  }

  /**
   * The same deadline with an activity of its own: checks run side by side under one deadline
   * (`microk8s-checks all`) each say what they were waiting for.
   */
  child(): Deadline {
    return new Deadline(this.seconds, () => undefined, this);
  }

  /**
   * Run `read` under a child() saying `activity`, beside other reads begun the same way: while any
   * is open, this deadline's activity names every one still open, so a timeout names the slow
   * sources, not whichever began last (the journal's scan, done long before a hung API server).
   */
  async during<T>(activity: string, read: (child: Deadline) => Promise<T>): Promise<T> {
    const child = this.child();
    child.activity = activity;
    this.open.add(child);
    try {
      // Said once the read began: its first steps may name what it waits for more closely.
      const reading = read(child);
      this.sayOpen();
      return await reading;
    } finally {
      this.open.delete(child);
      this.sayOpen();
    }
  }

  private readonly open = new Set<Deadline>();

  private sayOpen(): void {
    this.activity = [...this.open].map((d) => d.activity).join('; ');
  }

  private readonly waits: (() => string | undefined)[] = [];

  /**
   * Let a source say what this deadline's activity is held up by before it could begin, asked
   * only when the run ends unanswered: a kubeconfig's credential plugin still running, while no
   * request has left, is what a timeout then names, not the list it was to make.
   */
  heldUpBy(now: () => string | undefined): void {
    this.waits.push(now);
  }

  /** What is waited for at this moment: the reads still open, each held up by what its source names. */
  private waitingFor(): string {
    const open = [...this.open, ...this.awaited];
    if (open.length) return open.map((d) => d.waitingFor()).join('; ');
    for (const held of this.waits) {
      const what = held();
      if (what) return this.activity ? `${what}, before ${this.activity}` : what;
    }
    return this.activity;
  }

  /**
   * A shorter deadline for one target of a fan-out (a server, a host, a file): it ends before
   * this one, leaving time to judge what the other targets answered and to print it, so one
   * slow target is UNKNOWN by its own timeout instead of taking the whole run's verdict with it.
   */
  part(): Deadline {
    const left = this.remainingMs();
    const reserve = Math.min(1000, Math.max(250, (this.seconds * 1000) / 10), left / 2);
    const endsAt = Date.now() + left - reserve;
    return new Deadline(partSeconds(left - reserve), () => undefined, this, endsAt);
  }

  /** The parts of a fan-out whose targets have not answered yet (awaitedPart()). */
  private readonly awaited = new Set<Deadline>();
  private awaitedBy: Deadline | undefined;

  /**
   * A part() for one target of a fan-out, named among what this deadline waits for until done():
   * a run stopped by a signal names the targets still awaited, never one that had answered.
   */
  awaitedPart(): Deadline {
    const part = this.part();
    part.awaitedBy = this;
    this.awaited.add(part);
    return part;
  }

  /** Stop a part's timer once its target answered. */
  done(): void {
    if (this.isPart) clearTimeout(this.timer);
    this.awaitedBy?.awaited.delete(this);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  remainingMs(): number {
    return Math.max(0, this.expiresAt - Date.now());
  }

  /** The signal that stopped the run, if one did. */
  get stoppedBy(): string | undefined {
    return this.root.stopSignal;
  }

  /**
   * What the run was waiting for as it ended, as reason() says it: -v's 'deadline reached' logs
   * this, not the activity of a read begun after a -t spent starting, which was never waited for.
   */
  waitedFor(): string {
    return this.late ? 'starting, before its first read' : this.waitingFor();
  }

  /** Why the run ends unanswered, with what it was waiting for: its timeout, or the signal that stopped it. */
  reason(): string {
    const activity = this.waitedFor();
    const during = activity ? ` while ${activity}` : '';
    const stopped = this.stoppedBy;
    return stopped ? `stopped by ${stopped}${during}` : `timed out after ${this.seconds}s${during}`;
  }

  /**
   * End the run now, as its deadline would, because of `signal` (a poller's own timeout, Ctrl-C):
   * what it waits for is cancelled, and onExpire reports what was judged and what each check of
   * the run was still waiting for (reason() names the signal).
   */
  stop(signal: string): void {
    const root = this.root;
    root.stopSignal = signal;
    clearTimeout(root.timer);
    root.controller.abort(new ReasonedError(root.reason()));
    root.onExpire(root);
  }

  cancel(): void {
    clearTimeout(this.root.timer);
  }
}

/**
 * A part's time as its timeout says it: tenths of a second, under a second two digits (-t 0.1
 * leaves a part 0.05 s, which tenths said as 'timed out after 0s'), never below the 1 ms a timer counts.
 */
export function partSeconds(ms: number): number {
  if (ms >= 1000) return Math.round(ms / 100) / 10;
  return Math.max(0.001, Number((ms / 1000).toPrecision(2)));
}
