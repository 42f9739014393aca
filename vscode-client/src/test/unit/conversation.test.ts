import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Conversation, fnmatch } from '../../core/conversation';

const A = { type: 'size.max_parameters', max: 2 };
const B = { type: 'calls.forbidden', names: ['eval'] };
const C = { type: 'naming.case', role: 'function', case: 'snake_case' };

describe('Conversation', () => {
    it('keeps constraints as the server does: per document, per glob, for all; replace or append', () => {
        const conversation = new Conversation();
        conversation.apply({ uri: 'file:///ws/app.py', mode: 'replace', constraints: [A] });
        conversation.apply({ uri: 'file:///ws/app.py', mode: 'append', constraints: [B, { ...A, label: 'same key' }] });
        conversation.apply({ glob: 'src/*.py', mode: 'replace', constraints: [C] });
        assert.deepEqual(conversation.constraintsFor('file:///ws/app.py', 'app.py'), [A, B]);
        assert.deepEqual(conversation.constraintsFor('file:///ws/src/lib.py', 'src/lib.py'), [C]);
        conversation.apply({ mode: 'append', constraints: [B] });
        assert.deepEqual(conversation.constraintsFor('file:///ws/src/lib.py', 'src/lib.py'), [C, B]);
        conversation.apply({ uri: 'file:///ws/app.py', mode: 'replace', constraints: [] });
        assert.deepEqual(conversation.constraintsFor('file:///ws/app.py', 'app.py'), [B]);
        assert.deepEqual(conversation.requests().map((r) => r.glob ?? r.uri), ['src/*.py', '**', 'file:///ws/app.py']);
        conversation.clear();
        assert.ok(conversation.isEmpty);
    });

    it('numbers turns: constraints then the edit share one', () => {
        const conversation = new Conversation();
        assert.equal(conversation.instructionTurn(), 1);
        assert.equal(conversation.instructionTurn(), 1);
        assert.equal(conversation.assistantEditTurn(), 1);
        assert.equal(conversation.assistantEditTurn(), 2);
        assert.equal(conversation.instructionTurn(), 3);
        assert.equal(conversation.assistantEditTurn(), 3);
    });
});

describe('fnmatch', () => {
    it('matches like Python\'s fnmatch', () => {
        assert.ok(fnmatch('src/app.py', '*.py'));
        assert.ok(fnmatch('src/deep/app.py', 'src/*.py'));
        assert.ok(fnmatch('a1.py', 'a?.py'));
        assert.ok(fnmatch('b.py', '[abc].py'));
        assert.ok(!fnmatch('d.py', '[abc].py'));
        assert.ok(fnmatch('d.py', '[!abc].py'));
        assert.ok(!fnmatch('app.pyc', '*.py'));
        assert.ok(fnmatch('a+b.py', 'a+b.py'));
    });
});
