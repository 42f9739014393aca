import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeStop, StderrTail } from '../../core/stderrTail';

describe('StderrTail', () => {
    it('keeps the last lines, joined across chunks', () => {
        const tail = new StderrTail(2);
        tail.append('Traceback (most recent call last):\n  File "typing.py"');
        tail.append(', line 1\nSystemExit: shadowed\n');
        assert.equal(tail.text(), '  File "typing.py", line 1\nSystemExit: shadowed');
        tail.clear();
        assert.equal(tail.text(), '');
    });

    it('bounds what goes into a notification', () => {
        const tail = new StderrTail(100, 10);
        tail.append('x'.repeat(50) + '\n');
        assert.equal(tail.text(), '…' + 'x'.repeat(10));
    });
});

describe('describeStop', () => {
    it('adds what the server said, when it said something', () => {
        assert.equal(describeStop('It stopped.', ''), 'It stopped.');
        assert.equal(describeStop('It stopped.', 'boom'), 'It stopped. It said:\nboom');
    });
});
