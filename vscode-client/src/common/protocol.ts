// Generated from server/heedful/server/protocol.py by scripts/gen_protocol_ts.py: do not edit.
// Regenerate: .venv/bin/python scripts/gen_protocol_ts.py (tests/test_protocol_drift.py checks it).

export const SET_CONSTRAINTS = 'heedful/setConstraints';
export const ASSISTANT_EDIT = 'heedful/assistantEdit';
export const STATUS = 'heedful/status';
export const STUDY_SESSION = 'heedful/studySession';
export const EDIT_ORIGIN = 'heedful/editOrigin';
export const COPY_FEEDBACK = 'heedful.copyFeedback';

/** The LSP spelling of the document a message is about (`textDocument: {uri}`). */
export interface TextDocumentRef {
    uri: string;
}

/** Constraints for one document (`uri`), the files a `glob` matches, or the whole session. `constraints` are tables as heedful.toml has them: `type`, the parameters as keys, `label` and `turn` optional (constraints_in_force.constraints_from_json reads them). */
export interface SetConstraintsParams {
    constraints: Record<string, unknown>[];
    uri?: string | null;
    textDocument?: TextDocumentRef | null;
    glob?: string | null;
    mode?: 'replace' | 'append';
    retire?: string[];
}

/** What a `heedful/setConstraints` request set: how many, and for what (`glob` is null when the set is a document's). */
export interface SetConstraintsResult {
    constraints: number;
    uri: string | null;
    glob: string | null;
}

/** The next change of the document is an assistant's edit, made for this instruction. `scope` is an LSP range (or a list of them), or the conversation format's object ({"symbols": [...], "lines": [[3, 8]], "file": true}); `symbol` is the older top-level spelling of one symbol. `constraints` names the constraints the turn targets (ids or keys); without them, those of the turn `turn` are. `honourSuppressions`: the suppressions this edit adds are trusted (replay's opt-in). */
export interface AssistantEditParams {
    uri?: string | null;
    textDocument?: TextDocumentRef | null;
    turn?: number | null;
    instruction?: string | null;
    constraints?: string[];
    scope?: unknown;
    symbol?: string;
    honourSuppressions?: boolean;
}

/** A constraint as the server reports it (verifiers' Constraint.to_json). */
export interface ConstraintJson {
    type: string;
    params: Record<string, unknown>;
    label: string | null;
}

/** One constraint in force and its verdict on the current text. */
export interface StatusVerdict {
    constraint: ConstraintJson;
    turn: number | null;
    status: 'pass' | 'fail' | 'error' | 'n/a';
}

/** Lines [start, end] of a scope, 0-based and inclusive. */
export interface LineRange {
    start: number;
    end: number;
}

/** An out-of-scope part of an edit: [start, end) lines before and after it. */
export interface HunkJson {
    before: number[];
    after: number[];
}

/** A block moved unchanged (modulo indentation): its lines before and after, its non-blank lines. */
export interface MoveJson {
    before: number[];
    after: number[];
    lines: number;
    inScope: boolean;
}

/** The report of an assistant edit (attribution.EditReport.to_json), as `heedful/status` carries it; tests/test_protocol_drift.py checks that the two name the same fields. */
export interface EditReportJson {
    turn: number | null;
    instruction: string | null;
    boundary: 'ok' | 'error' | 'unknown';
    scopeSource: 'given' | 'derived' | 'unknown' | 'error';
    scopeKind: string | null;
    scopeError: string | null;
    scope: LineRange[] | null;
    scopeAfter: LineRange[] | null;
    changedLines: number;
    outOfScopeLines: number;
    outOfScopeRatio: number | null;
    outOfScope: HunkJson[];
    moves: MoveJson[];
    movedLines: number;
    outOfScopeMoves: number;
    regressions: string[];
    harmful: boolean;
}

/** After every check of a document: its counts, every verdict, and the last assistant edit's report (`edit`, only when this check followed one). */
export interface StatusParams {
    uri: string;
    version: number | null;
    satisfied: number;
    total: number;
    regressions: number;
    failing: string[];
    errors: string[];
    verdicts: StatusVerdict[];
    parses: boolean;
    partialParse: number;
    syntaxError?: number | null;
    edit?: EditReportJson | null;
}

/** The ids and consent of one study session, as the extension's Start Study Session sent them; `recordPaths`: the participant allowed file paths in the log (else they are hashed). */
export interface StudySessionParams {
    study: string;
    participant: string;
    session: string;
    condition?: string | null;
    recordPaths?: boolean;
    consentedAt?: string | null;
}

/** Where the change to `uri` at `version` came from; `rule` says how an inferred one was. `origin` is a str in Python, one of ORIGINS on the wire: the server records an origin it does not know (a newer client's) as `unknown`, with why, rather than refusing the record. */
export interface EditOriginParams {
    uri: string;
    version: number;
    origin: EditOrigin;
    inferred?: boolean;
    rule?: string | null;
}

export type EditOrigin = 'heedful_assistant' | 'workspace_edit' | 'completion' | 'typing' | 'paste' | 'undo' | 'redo';
