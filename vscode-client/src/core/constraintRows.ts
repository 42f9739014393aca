// The rows of the "Constraints in Force" view for one file: each constraint with pass/fail.
//
// The server's `heedful/status` counts the constraints and names the failing types, and its
// diagnostics carry each failing constraint with its parameters; which constraints pass it does
// not list. So the rows are the file's constraints from its spec (`heedful check --format json`
// on the file, which also says which are n/a for the language) plus the conversation's, each
// marked failing when a diagnostic of the server names it. A server whose status includes
// `verdicts` is taken as it is.

import { ConstraintItem, constraintKey, ConstraintType, normalisedParams } from './constraints';
import { HeedfulStatus } from './status';

export type RowState = 'pass' | 'fail' | 'regression' | 'error' | 'n/a' | 'unknown';

export interface ConstraintRow {
    key: string;
    type: string;
    label?: string;
    params: Record<string, unknown>;
    origin: 'spec' | 'conversation' | 'server';
    state: RowState;
    /** Violation and regression diagnostics of this constraint in the file. */
    violations: number;
    /** 0-based line of the first one. */
    firstLine?: number;
}

/** A heedful diagnostic of the file, reduced to what the rows need (from `data.constraint`). */
export interface ConstraintDiagnostic {
    type: string;
    params?: Record<string, unknown>;
    label?: string | null;
    kind: string; // violation | regression | out_of_scope
    line: number;
}

/** One verdict of `heedful check --format json` for the file. */
export interface SpecVerdict {
    constraint: { type: string; params: Record<string, unknown>; label?: string | null };
    status: string;
}

export interface RowInputs {
    status?: HeedfulStatus;
    specVerdicts?: SpecVerdict[];
    conversation: ConstraintItem[];
    diagnostics: ConstraintDiagnostic[];
    catalogue?: Map<string, ConstraintType>;
}

export function constraintRows(inputs: RowInputs): ConstraintRow[] {
    const rows = new Map<string, ConstraintRow>();
    const add = (type: string, params: Record<string, unknown>, label: string | null | undefined,
        origin: ConstraintRow['origin'], state: RowState): void => {
        const key = constraintKey(type, params);
        if (!rows.has(key)) {
            rows.set(key, { key, type, label: label ?? undefined, params, origin, state, violations: 0 });
        }
    };
    if (inputs.status?.verdicts) {
        for (const verdict of inputs.status.verdicts) {
            add(verdict.constraint.type, verdict.constraint.params ?? {}, verdict.constraint.label, 'server',
                verdict.status as RowState);
        }
    } else {
        for (const verdict of inputs.specVerdicts ?? []) {
            add(verdict.constraint.type, verdict.constraint.params, verdict.constraint.label, 'spec',
                verdict.status === 'n/a' ? 'n/a' : 'unknown');
        }
        for (const item of inputs.conversation) {
            const params = normalisedParams(item, inputs.catalogue?.get(item.type));
            add(item.type, params, typeof item.label === 'string' ? item.label : undefined, 'conversation', 'unknown');
        }
    }
    for (const diagnostic of inputs.diagnostics) {
        if (diagnostic.kind !== 'violation' && diagnostic.kind !== 'regression') {
            continue;
        }
        const params = diagnostic.params ?? {};
        add(diagnostic.type, params, diagnostic.label, 'server', 'fail');
        const row = rows.get(constraintKey(diagnostic.type, params))!;
        row.violations += 1;
        row.firstLine = row.firstLine === undefined ? diagnostic.line : Math.min(row.firstLine, diagnostic.line);
        if (diagnostic.kind === 'regression') {
            row.state = 'regression';
        } else if (row.state !== 'regression') {
            row.state = 'fail';
        }
    }
    if (!inputs.status?.verdicts) {
        const errors = new Set(inputs.status?.errors ?? []);
        for (const row of rows.values()) {
            if (row.state !== 'unknown') {
                continue;
            }
            if (errors.has(row.type)) {
                row.state = 'error';
            } else if (inputs.status !== undefined) {
                row.state = 'pass';
            }
        }
    }
    const order: Record<RowState, number> = { regression: 0, fail: 1, error: 2, unknown: 3, pass: 4, 'n/a': 5 };
    return [...rows.values()].sort((a, b) => order[a.state] - order[b.state]);
}

/** The file's summary line in the view: "4/5 · 1 regression". */
export function fileSummary(status: HeedfulStatus | undefined): string {
    if (status === undefined) {
        return 'not checked yet';
    }
    let text = `${status.satisfied}/${status.total}`;
    if (status.regressions > 0) {
        text += ` · ${status.regressions} regression${status.regressions === 1 ? '' : 's'}`;
    }
    return text;
}

/** How a row reads: the label or type, and its parameters. */
export function rowDescription(row: ConstraintRow): string {
    const params = Object.entries(row.params)
        .filter(([, value]) => value !== null && value !== undefined && !(Array.isArray(value) && value.length === 0))
        .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
        .join(' ');
    const state = row.state === 'fail' || row.state === 'regression'
        ? `${row.state} (${row.violations})` : row.state;
    return [state, row.label ? row.type : '', params].filter((part) => part.length > 0).join(' · ');
}
