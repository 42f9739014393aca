// `heedful/status` (server → client after every check) and how the status bar shows it.

import type { ConstraintJson, EditReportJson, StatusParams, StatusVerdict as SentVerdict } from '../common/protocol';

/** One constraint's verdict (the generated shape; `turn`, `params` and `label` optional, as older servers sent fewer). */
export type StatusVerdict = Omit<SentVerdict, 'turn' | 'constraint'> & {
    turn?: number | null;
    constraint: Pick<ConstraintJson, 'type'> & Partial<ConstraintJson>;
};

/** The report of an assistant edit, as the server sends it in `heedful/status` (its generated
 * shape; every field but `boundary` optional, as older servers sent fewer). */
export type EditReport = Partial<EditReportJson> & Pick<EditReportJson, 'boundary'>;

/** A `heedful/status` notification as parseStatus checked it (older servers may leave out `verdicts`). */
export type HeedfulStatus = Pick<StatusParams, 'uri' | 'satisfied' | 'total' | 'regressions' | 'failing' | 'errors'> & {
    version?: number | null;
    edit?: EditReport;
    verdicts?: StatusVerdict[];
};

/** A status notification's params, checked; undefined when they are not one. */
export function parseStatus(params: unknown): HeedfulStatus | undefined {
    if (typeof params !== 'object' || params === null) {
        return undefined;
    }
    const value = params as Record<string, unknown>;
    if (typeof value.uri !== 'string' || typeof value.satisfied !== 'number' || typeof value.total !== 'number') {
        return undefined;
    }
    const ids = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    return {
        uri: value.uri,
        version: typeof value.version === 'number' ? value.version : null,
        satisfied: value.satisfied,
        total: value.total,
        regressions: typeof value.regressions === 'number' ? value.regressions : 0,
        failing: ids(value.failing),
        errors: ids(value.errors),
        edit: typeof value.edit === 'object' && value.edit !== null ? (value.edit as EditReport) : undefined,
        verdicts: Array.isArray(value.verdicts) ? (value.verdicts as StatusVerdict[]) : undefined,
    };
}

export type ServerState = 'starting' | 'running' | 'stopped' | 'failed';

export interface StatusBarInputs {
    server: ServerState;
    /** The status of the active editor's document, if heedful checks it. */
    status?: HeedfulStatus;
    /** An assistant edit is announced for the active document and has not arrived yet. */
    armed?: boolean;
    recording?: boolean;
    /** Why the server is not running (shown in the tooltip). */
    problem?: string;
}

export interface StatusBarPresentation {
    text: string;
    /** Markdown. */
    tooltip: string;
    severity: 'ok' | 'warning' | 'error' | 'none';
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The status bar item: `satisfied/total` for the active file, regressions, the last
 * assistant edit, and the server's state when it is not running. */
export function statusBarPresentation(inputs: StatusBarInputs): StatusBarPresentation {
    const recording = inputs.recording ? ' $(record)' : '';
    if (inputs.server === 'starting') {
        return { text: `$(sync~spin) heedful${recording}`, tooltip: 'heedful: starting the language server', severity: 'none' };
    }
    if (inputs.server !== 'running') {
        const why = inputs.problem ? `\n\n${inputs.problem}` : '';
        return {
            text: `$(error) heedful${recording}`,
            tooltip: `heedful: the language server is not running.${why}\n\nClick to show the output.`,
            severity: 'error',
        };
    }
    const status = inputs.status;
    const armed = inputs.armed ? ' $(hubot)' : '';
    if (status === undefined) {
        const tip = inputs.armed
            ? 'heedful: the next edit of this file is an assistant edit'
            : 'heedful: no constraints checked for this file';
        return { text: `$(checklist) heedful${armed}${recording}`, tooltip: tip, severity: 'none' };
    }
    const failing = status.total - status.satisfied;
    let icon = '$(pass)';
    let severity: StatusBarPresentation['severity'] = 'ok';
    if (status.regressions > 0) {
        icon = '$(error)';
        severity = 'error';
    } else if (failing > 0) {
        icon = '$(warning)';
        severity = 'warning';
    }
    let text = `${icon} heedful ${status.satisfied}/${status.total}`;
    if (status.regressions > 0) {
        text += ` · ${plural(status.regressions, 'regression')}`;
    }
    if (status.edit?.boundary === 'error') {
        text += ' · out of scope';
    }
    text += armed + recording;
    return { text, tooltip: statusTooltip(status, inputs), severity };
}

function statusTooltip(status: HeedfulStatus, inputs: StatusBarInputs): string {
    const lines = [
        `**heedful**: ${status.satisfied} of ${plural(status.total, 'constraint')} satisfied` +
            (status.regressions > 0 ? `, ${plural(status.regressions, 'regression')}` : ''),
    ];
    if (status.failing.length > 0) {
        lines.push('', `Failing: ${unique(status.failing).map((id) => `\`${id}\``).join(', ')}`);
    }
    if (status.errors.length > 0) {
        lines.push('', `Could not decide: ${unique(status.errors).map((id) => `\`${id}\``).join(', ')}`);
    }
    const edit = status.edit;
    if (edit !== undefined) {
        const turn = typeof edit.turn === 'number' ? ` (turn ${edit.turn})` : '';
        const outside = [
            (edit.outOfScopeLines ?? 0) > 0 || !edit.outOfScopeMoves ? `changed ${plural(edit.outOfScopeLines ?? 0, 'line')}` : '',
            edit.outOfScopeMoves ? `moved ${plural(edit.outOfScopeMoves, 'block')}` : '',
        ].filter((part) => part !== '').join(' and ');
        const boundary = edit.scopeSource === 'error'
            ? `its scope is unknown: ${edit.scopeError ?? 'the scope named nothing in this file'}`
            : {
                ok: 'stayed in scope',
                error: `${outside} outside its scope`,
                unknown: 'scope unknown',
            }[edit.boundary] ?? edit.boundary;
        lines.push('', `Last assistant edit${turn}: ${boundary}` +
            (edit.regressions && edit.regressions.length > 0 ? `; broke ${edit.regressions.map((id) => `\`${id}\``).join(', ')}` : '') +
            (edit.harmful ? ' (a regression lies in the out-of-scope change)' : ''));
        if (edit.instruction) {
            lines.push('', `> ${edit.instruction.replace(/\n/g, ' ')}`);
        }
    }
    if (inputs.armed) {
        lines.push('', 'The next edit of this file is an assistant edit.');
    }
    if (inputs.recording) {
        lines.push('', 'Study recording is on (`.heedful/study.jsonl`).');
    }
    return lines.join('\n');
}

function unique(values: string[]): string[] {
    return [...new Set(values)];
}
