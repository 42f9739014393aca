import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeedfulStatus, parseStatus, statusBarPresentation } from '../../core/status';

const status = (extra: Partial<HeedfulStatus> = {}): HeedfulStatus => ({
    uri: 'file:///ws/app.py', version: 3, satisfied: 4, total: 5, regressions: 0, failing: ['naming.case'], errors: [], ...extra,
});

describe('parseStatus', () => {
    it('takes the README example and rejects what is not a status', () => {
        const parsed = parseStatus({
            uri: 'file:///ws/app.py', version: 7, satisfied: 4, total: 5, regressions: 1, failing: ['naming.case'], errors: [],
            edit: { turn: 2, instruction: 'x', boundary: 'error', scopeSource: 'given', scope: [{ start: 4, end: 9 }],
                changedLines: 3, outOfScopeLines: 1, outOfScopeRatio: 0.33, regressions: ['naming.case'], harmful: true },
        });
        assert.equal(parsed?.edit?.boundary, 'error');
        assert.equal(parsed?.regressions, 1);
        assert.equal(parseStatus({ uri: 'x' }), undefined);
        assert.equal(parseStatus(null), undefined);
        assert.deepEqual(parseStatus({ uri: 'u', satisfied: 1, total: 1, failing: 'no' })?.failing, []);
    });
});

describe('statusBarPresentation', () => {
    it('shows satisfied/total and regressions for the active file', () => {
        assert.equal(statusBarPresentation({ server: 'running', status: status({ satisfied: 5, failing: [] }) }).text, '$(pass) heedful 5/5');
        const failing = statusBarPresentation({ server: 'running', status: status() });
        assert.equal(failing.text, '$(warning) heedful 4/5');
        assert.equal(failing.severity, 'warning');
        assert.match(failing.tooltip, /Failing: `naming.case`/);
        const regressed = statusBarPresentation({ server: 'running', status: status({ satisfied: 3, regressions: 2 }) });
        assert.equal(regressed.text, '$(error) heedful 3/5 · 2 regressions');
        assert.equal(regressed.severity, 'error');
    });

    it('reports the last assistant edit', () => {
        const shown = statusBarPresentation({
            server: 'running',
            status: status({ regressions: 1, edit: { turn: 2, instruction: 'add a parameter', boundary: 'error', outOfScopeLines: 3, regressions: ['naming.case'], harmful: true } }),
        });
        assert.equal(shown.text, '$(error) heedful 4/5 · 1 regression · out of scope');
        assert.match(shown.tooltip, /Last assistant edit \(turn 2\): changed 3 lines outside its scope; broke `naming.case`/);
        assert.match(shown.tooltip, /> add a parameter/);
    });

    it('counts moved blocks and names an unknown scope', () => {
        const moved = statusBarPresentation({
            server: 'running',
            status: status({ edit: { turn: 3, boundary: 'error', outOfScopeLines: 0, outOfScopeMoves: 1, movedLines: 4 } }),
        });
        assert.match(moved.tooltip, /Last assistant edit \(turn 3\): moved 1 block outside its scope/);
        const both = statusBarPresentation({
            server: 'running',
            status: status({ edit: { boundary: 'error', outOfScopeLines: 2, outOfScopeMoves: 2 } }),
        });
        assert.match(both.tooltip, /changed 2 lines and moved 2 blocks outside its scope/);
        const unknown = statusBarPresentation({
            server: 'running',
            status: status({ edit: { boundary: 'unknown', scopeSource: 'error', scopeError: "no definition named 'Square.area'" } }),
        });
        assert.match(unknown.tooltip, /its scope is unknown: no definition named 'Square.area'/);
    });

    it('shows the server state, an armed assistant edit and recording', () => {
        assert.equal(statusBarPresentation({ server: 'starting' }).text, '$(sync~spin) heedful');
        const failed = statusBarPresentation({ server: 'failed', problem: 'heedful is not installed in /usr/bin/python3' });
        assert.equal(failed.severity, 'error');
        assert.match(failed.tooltip, /not installed/);
        assert.equal(statusBarPresentation({ server: 'running', armed: true, recording: true }).text, '$(checklist) heedful $(hubot) $(record)');
        assert.equal(statusBarPresentation({ server: 'running', status: status(), armed: true }).text, '$(warning) heedful 4/5 $(hubot)');
    });
});
