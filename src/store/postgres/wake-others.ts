// When to NOTIFY the other workers that a run was queued.
//
// Every worker LISTENs, so a NOTIFY per queued run woke every worker of the cluster for each run, and
// all but one of their claims came back empty: with 4 workers at 200 events/s, 3.2 claims per run. Yet
// the process that queued a run (the daemon answering the event, a cron tick) usually has a free slot
// and claims it itself at once. So a process that runs a worker holds the NOTIFY back: its own next
// claim takes the run, or, if that claim comes back without it (no free slot, a role it does not serve,
// a concurrency limit) or no claim starts within `delayMs`, the others are woken then. A claim that had
// room for more, for a role it serves without a limit, and still came back without the run means another
// worker has it already: no one needs waking (waking them all anyway is how the herd fed itself). A process
// without a worker (`nightshift emit`) notifies at once, and on close notifies anything still held.
//
// Notifications are coalesced: while one is in flight, further ones collapse into a single follow-up.

export class WakeOthers {
  /** Runs queued here and not yet claimed here → their role, and how many claims had started then. */
  private readonly held = new Map<string, { role: string; seen: number }>();
  private claimsStarted = 0;
  private timer: NodeJS.Timeout | undefined;
  private notifying = false;
  private notifyAgain = false;
  /** A worker in this process listens (it will claim what is queued here). */
  listening = false;

  constructor(
    private readonly send: () => Promise<void>,
    private readonly delayMs = 10,
  ) {}

  queued(runId: string, role: string): void {
    if (!this.listening) {
      this.notify();
      return;
    }
    this.held.set(runId, { role, seen: this.claimsStarted });
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.release();
    }, this.delayMs);
  }

  /** A claim starts; pass what it returns to `claimed`. */
  claimStarting(): number {
    return ++this.claimsStarted;
  }

  /**
   * A claim that started after a held run was queued came back without it: wake the others now, unless
   * this claim would have taken it if it were still there (then another worker took it).
   */
  claimed(
    claim: number,
    runIds: readonly string[],
    scope: { roles: readonly string[]; limited: readonly string[]; full: boolean },
  ): void {
    for (const id of runIds) this.held.delete(id);
    let missed = false;
    for (const [id, { role, seen }] of this.held) {
      if (seen >= claim) continue;
      this.held.delete(id);
      const wouldHaveTaken = !scope.full && scope.roles.includes(role) && !scope.limited.includes(role);
      if (!wouldHaveTaken) missed = true;
    }
    if (missed) this.notify();
  }

  /** Notifies for everything still held (on a timer, and when the store closes). */
  release(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.held.size === 0) return;
    this.held.clear();
    this.notify();
  }

  /** A wake-up not tied to one run (an inbox item): at once. */
  notify(): void {
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    this.notifying = true;
    this.send()
      .catch(() => {
        // A lost wake-up costs one poll interval, never a run.
      })
      .finally(() => {
        this.notifying = false;
        if (this.notifyAgain) {
          this.notifyAgain = false;
          this.notify();
        }
      });
  }

  /** Resolves once no notification is in flight (so closing the pool loses none). */
  async settled(): Promise<void> {
    while (this.notifying) await new Promise((r) => setTimeout(r, 1));
  }
}
