// How often a crashed server is started again: a bounded number of times within a window, so a
// server that dies at start-up does not restart forever.

export class RestartBudget {
    private crashes: number[] = [];

    constructor(
        readonly maxRestarts = 5,
        readonly windowMs = 3 * 60 * 1000,
    ) {}

    /** Record a crash at `now`; true when the server may be restarted. */
    crashed(now: number): boolean {
        this.crashes = this.crashes.filter((at) => now - at < this.windowMs);
        this.crashes.push(now);
        return this.crashes.length <= this.maxRestarts;
    }

    /** Forget the crashes (after a restart the user asked for). */
    reset(): void {
        this.crashes = [];
    }

    get recentCrashes(): number {
        return this.crashes.length;
    }
}
