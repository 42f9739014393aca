// Developer studies (docs/studies.md): the session the participant consented to, and where each
// edit came from. No VS Code import here: the rules are unit-tested with node's test runner.

// the messages' shapes are the server's (generated from its protocol.py)
export type { EditOrigin, EditOriginParams, StudySessionParams } from '../common/protocol';
import type { EditOrigin } from '../common/protocol';

export interface Position { line: number; character: number }

/** One content change as VS Code reports it (the range is in the text before the change). */
export interface ChangeFacts {
    start: Position;
    end: Position;
    text: string;
}

/** What the extension knows when a document changes. */
export interface EditFacts {
    /** TextDocumentChangeEvent.reason: 1 Undo, 2 Redo (VS Code's enum), else undefined */
    reason?: number;
    /** a heedful assistant edit was announced for this document and has not arrived yet */
    armed: boolean;
    changes: ChangeFacts[];
    /** the selections of the editor that shows the document; undefined when no editor shows it */
    selections?: { start: Position; end: Position }[];
    clipboard?: string;
    /** where the document's previous change ended (its inserted text) and how long ago, in ms */
    previous?: { end: Position; msAgo: number };
}

export const ORIGIN_RULES = {
    workspaceEdit: 'no visible editor shows the document, or no change touches a cursor or selection (nor starts ' +
        'where the previous change ended, within 1 s): an edit applied through the workspace API (another extension, ' +
        'a quick fix, a refactoring)',
    paste: 'the inserted text equals the clipboard',
    completion: 'one insertion of 3 or more non-blank characters at the cursor that is not the clipboard: typed keys ' +
        'insert one character at a time (an auto-closed pair two); an accepted inline or suggested completion, or a snippet',
    typing: 'changes at the cursor of at most 2 non-blank characters each: typing, deleting, auto-indent',
} as const;

const CONTINUES_MS = 1000;
const UNDO = 1;
const REDO = 2;

/** The origin of one document change, by the first rule that applies (docs/studies.md, "Edit origins"). */
export function inferOrigin(facts: EditFacts): { origin: EditOrigin; inferred: boolean; rule?: string } {
    if (facts.armed) {
        return { origin: 'heedful_assistant', inferred: false };
    }
    if (facts.reason === UNDO) {
        return { origin: 'undo', inferred: false };
    }
    if (facts.reason === REDO) {
        return { origin: 'redo', inferred: false };
    }
    const selections = facts.selections;
    // the extension host learns the cursor after the change, and lags in a fast burst of keys: a
    // change that starts where the previous one ended is at the cursor too
    const previous = facts.previous;
    const continues = previous !== undefined && previous.msAgo <= CONTINUES_MS && facts.changes.length === 1 &&
        !before(facts.changes[0].start, previous.end) && !before(previous.end, facts.changes[0].start);
    if (selections === undefined ||
        (!continues && !facts.changes.some((change) => selections.some((s) => touches(change, s))))) {
        return { origin: 'workspace_edit', inferred: true, rule: ORIGIN_RULES.workspaceEdit };
    }
    const inserted = facts.changes.map((change) => change.text).join('');
    if (facts.clipboard !== undefined && facts.clipboard.length > 1 && inserted === facts.clipboard) {
        return { origin: 'paste', inferred: true, rule: ORIGIN_RULES.paste };
    }
    if (facts.changes.length === 1 && inserted.replace(/\s/g, '').length >= 3) {
        return { origin: 'completion', inferred: true, rule: ORIGIN_RULES.completion };
    }
    return { origin: 'typing', inferred: true, rule: ORIGIN_RULES.typing };
}

/** Where the text a change inserted ends (in the text after the change). */
export function insertedEnd(change: ChangeFacts): Position {
    const lines = change.text.split('\n');
    return lines.length === 1
        ? { line: change.start.line, character: change.start.character + change.text.length }
        : { line: change.start.line + lines.length - 1, character: lines[lines.length - 1].length };
}

/** The change touches the selection, before or after it was applied (VS Code may report either). */
function touches(change: ChangeFacts, selection: { start: Position; end: Position }): boolean {
    const inserted = insertedEnd(change);
    const end = before(change.end, inserted) ? inserted : change.end;
    return !before(selection.end, change.start) && !before(end, selection.start);
}

function before(a: Position, b: Position): boolean {
    return a.line < b.line || (a.line === b.line && a.character < b.character);
}

/** The ids typed in Start Study Session: trimmed; an error naming the first bad one. */
export function validateSessionIds(ids: { study?: string; participant?: string; session?: string; condition?: string | null }):
    string | undefined {
    for (const key of ['study', 'participant', 'session'] as const) {
        const value = ids[key]?.trim() ?? '';
        if (!value) {
            return `the ${key} id is required`;
        }
        if (!/^[\w.-]{1,64}$/.test(value)) {
            return `the ${key} id may hold letters, digits, "_", "-" and "." only (at most 64)`;
        }
    }
    if (ids.condition !== undefined && ids.condition !== null && ids.condition.trim() && !/^[\w.-]{1,64}$/.test(ids.condition.trim())) {
        return 'the condition may hold letters, digits, "_", "-" and "." only (at most 64)';
    }
    return undefined;
}
