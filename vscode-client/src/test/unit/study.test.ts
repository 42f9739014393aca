import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EditFacts, ORIGIN_RULES, inferOrigin, validateSessionIds } from '../../core/study';

const at = (line: number, character: number) => ({ line, character });
const cursor = (line: number, character: number) => [{ start: at(line, character), end: at(line, character) }];
const insert = (line: number, character: number, text: string) => ({ start: at(line, character), end: at(line, character), text });
const facts = (overrides: Partial<EditFacts>): EditFacts => ({ armed: false, changes: [insert(0, 4, 'x')], selections: cursor(0, 4), ...overrides });

describe('inferOrigin', () => {
    it('knows a heedful assistant edit, undo and redo for sure', () => {
        assert.deepEqual(inferOrigin(facts({ armed: true })), { origin: 'heedful_assistant', inferred: false });
        assert.deepEqual(inferOrigin(facts({ reason: 1 })), { origin: 'undo', inferred: false });
        assert.deepEqual(inferOrigin(facts({ reason: 2 })), { origin: 'redo', inferred: false });
    });

    it('infers typing from small changes at the cursor, before or after VS Code moved it', () => {
        assert.deepEqual(inferOrigin(facts({})), { origin: 'typing', inferred: true, rule: ORIGIN_RULES.typing });
        assert.equal(inferOrigin(facts({ selections: cursor(0, 5) })).origin, 'typing'); // the cursor after the key
        assert.equal(inferOrigin(facts({ changes: [insert(0, 4, '()')] })).origin, 'typing'); // an auto-closed pair
        assert.equal(inferOrigin(facts({ changes: [insert(0, 4, '\n        ')] })).origin, 'typing'); // Enter, auto-indent
        // a selection replaced by the first key typed
        assert.equal(inferOrigin(facts({ changes: [{ start: at(0, 4), end: at(0, 12), text: 'l' }],
            selections: [{ start: at(0, 4), end: at(0, 12) }] })).origin, 'typing');
    });

    it('infers a paste from the clipboard and a completion from a larger insertion', () => {
        const pasted = inferOrigin(facts({ changes: [insert(0, 4, 'return a + b')], clipboard: 'return a + b' }));
        assert.deepEqual(pasted, { origin: 'paste', inferred: true, rule: ORIGIN_RULES.paste });
        const completed = inferOrigin(facts({ changes: [insert(0, 4, 'return a + b')], clipboard: 'other' }));
        assert.deepEqual(completed, { origin: 'completion', inferred: true, rule: ORIGIN_RULES.completion });
    });

    it('takes a change where the previous one ended, soon after, as at the cursor (the cursor lags in a burst)', () => {
        const burst = facts({ changes: [insert(6, 9, 'u')], selections: cursor(6, 2), previous: { end: at(6, 9), msAgo: 3 } });
        assert.equal(inferOrigin(burst).origin, 'typing');
        assert.equal(inferOrigin({ ...burst, previous: { end: at(6, 9), msAgo: 5000 } }).origin, 'workspace_edit');
        assert.equal(inferOrigin({ ...burst, previous: { end: at(6, 8), msAgo: 3 } }).origin, 'workspace_edit');
    });

    it('infers another extension\'s workspace edit away from every cursor, or in a hidden document', () => {
        assert.equal(inferOrigin(facts({ changes: [insert(4, 23, '  # heedful: disable=x')], selections: cursor(4, 6) })).origin,
            'workspace_edit');
        assert.equal(inferOrigin(facts({ selections: undefined })).origin, 'workspace_edit');
    });
});

describe('validateSessionIds', () => {
    it('requires the three ids and keeps them to file-name characters', () => {
        assert.equal(validateSessionIds({ study: 'pilot', participant: 'p1', session: 's1' }), undefined);
        assert.equal(validateSessionIds({ study: 'pilot', participant: '', session: 's1' }), 'the participant id is required');
        assert.match(validateSessionIds({ study: 'pilot', participant: 'p 1', session: 's1' }) ?? '', /letters, digits/);
        assert.match(validateSessionIds({ study: 'a', participant: 'b', session: 'c', condition: 'x/y' }) ?? '', /condition/);
    });
});
