// The conversation with the assistant as the extension tracks it: the constraints it sent with
// `heedful/setConstraints` (kept by the same rules as the server: per document, per glob, or
// for every document; `replace` or `append`) and the turn counter.

import type * as protocol from '../common/protocol';
import { ConstraintItem, constraintKey, RESERVED_KEYS } from './constraints';

type Wire = protocol.SetConstraintsParams;

/**
 * The `heedful/setConstraints` requests this extension sends: the generated protocol type
 * (`common/protocol.ts`, from `server/heedful/server/protocol.py`) narrowed to what the extension
 * always sets. Each field is taken from the wire type, so a renamed or retyped field on the
 * Python side fails the compile here instead of drifting.
 */
export interface SetConstraintsParams extends Pick<Wire, 'glob'> {
    uri?: NonNullable<Wire['uri']>;
    mode: NonNullable<Wire['mode']>;
    constraints: ConstraintItem[] & Wire['constraints'];
}

/** Every request the extension builds is a valid wire request (checked by the compiler). */
export const toWire = (params: SetConstraintsParams): Wire => params;

export class Conversation {
    private byUri = new Map<string, ConstraintItem[]>();
    private byGlob: [string, ConstraintItem[]][] = [];
    /** The current turn (0: none yet). */
    turn = 0;
    /** The last turn an assistant edit was announced for. */
    private editedTurn = 0;

    /**
     * The turn of an instruction being given now: the current one while no assistant edit was
     * announced for it (constraints first, then the edit, share a turn), else the next.
     */
    instructionTurn(): number {
        if (this.turn === 0 || this.editedTurn === this.turn) {
            this.turn += 1;
        }
        return this.turn;
    }

    /** An assistant edit is announced: it answers the current instruction's turn. */
    assistantEditTurn(): number {
        const turn = this.instructionTurn();
        this.editedTurn = turn;
        return turn;
    }

    /** Record what a successful `heedful/setConstraints` request did. */
    apply(params: SetConstraintsParams): void {
        if (params.uri !== undefined) {
            const current = params.mode === 'append' ? this.byUri.get(params.uri) ?? [] : [];
            this.byUri.set(params.uri, merge(current, params.constraints));
            return;
        }
        const pattern = params.glob ?? '**';
        const previous = this.byGlob.find(([glob]) => glob === pattern)?.[1] ?? [];
        this.byGlob = this.byGlob.filter(([glob]) => glob !== pattern);
        this.byGlob.push([pattern, merge(params.mode === 'append' ? previous : [], params.constraints)]);
    }

    clear(): void {
        this.byUri.clear();
        this.byGlob = [];
    }

    /** Every glob and document with constraints, as `replace` requests that rebuild them (a
     * restarted server is sent these), or with empty lists clear them. */
    requests(): SetConstraintsParams[] {
        return [
            ...this.byGlob.map(([glob, constraints]) => ({ glob, mode: 'replace' as const, constraints: [...constraints] })),
            ...[...this.byUri].map(([uri, constraints]) => ({ uri, mode: 'replace' as const, constraints: [...constraints] })),
        ];
    }

    /** The conversation's constraints for a document (`relativePath`: to the workspace root). */
    constraintsFor(uri: string, relativePath: string | undefined): ConstraintItem[] {
        let out: ConstraintItem[] = [];
        const path = (relativePath ?? uri).replace(/\\/g, '/');
        const base = path.split('/').pop() ?? path;
        for (const [pattern, constraints] of this.byGlob) {
            if (pattern === '**' || pattern === '*' || fnmatch(path, pattern) || fnmatch(base, pattern)) {
                out = merge(out, constraints);
            }
        }
        return merge(out, this.byUri.get(uri) ?? []);
    }

    get isEmpty(): boolean {
        return this.byUri.size === 0 && this.byGlob.every(([, constraints]) => constraints.length === 0);
    }
}

function keyOf(item: ConstraintItem): string {
    const params: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(item)) {
        if (!RESERVED_KEYS.has(key)) {
            params[key] = value;
        }
    }
    return constraintKey(item.type, params);
}

function merge(base: ConstraintItem[], extra: ConstraintItem[]): ConstraintItem[] {
    const keys = new Set(base.map(keyOf));
    const out = [...base];
    for (const item of extra) {
        const key = keyOf(item);
        if (!keys.has(key)) {
            keys.add(key);
            out.push(item);
        }
    }
    return out;
}

/** Python's fnmatch.fnmatch (as the server matches globs): `*` matches across `/` too. */
export function fnmatch(name: string, pattern: string): boolean {
    let regex = '';
    for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i];
        if (c === '*') {
            regex += '.*';
        } else if (c === '?') {
            regex += '.';
        } else if (c === '[') {
            const end = pattern.indexOf(']', i + 2);
            if (end === -1) {
                regex += '\\[';
            } else {
                let set = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
                if (set.startsWith('!')) {
                    set = '^' + set.slice(1);
                } else if (set.startsWith('^')) {
                    set = '\\' + set;
                }
                regex += `[${set}]`;
                i = end;
            }
        } else {
            regex += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
        }
    }
    return new RegExp(`^(?:${regex})$`, 's').test(name);
}
