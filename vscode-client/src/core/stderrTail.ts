// The last lines a server process wrote to stderr, so that when it dies (at start-up above all:
// a shadowed module, a missing dependency) the error message says why, not only "exited with
// code 1". The output channel has everything; this is what fits in a notification.

export class StderrTail {
    private lines: string[] = [];
    private partial = '';

    constructor(readonly maxLines = 12, readonly maxChars = 1500) {}

    /** Take a chunk of the stream (lines may be split across chunks). */
    append(chunk: string): void {
        const parts = (this.partial + chunk).split(/\r?\n/);
        this.partial = parts.pop() ?? '';
        for (const line of parts) {
            if (line.trim().length > 0) {
                this.lines.push(line);
            }
        }
        if (this.lines.length > this.maxLines) {
            this.lines = this.lines.slice(-this.maxLines);
        }
    }

    /** The tail as one string ('' when the process wrote nothing), at most `maxChars` long. */
    text(): string {
        const all = [...this.lines, ...(this.partial.trim() ? [this.partial] : [])].join('\n');
        return all.length > this.maxChars ? '…' + all.slice(-this.maxChars) : all;
    }

    clear(): void {
        this.lines = [];
        this.partial = '';
    }
}

/** The message for a server that stopped: what happened, then what it said on stderr. */
export function describeStop(what: string, tail: string): string {
    return tail ? `${what} It said:\n${tail}` : what;
}
