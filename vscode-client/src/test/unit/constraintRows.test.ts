import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { constraintRows, fileSummary, rowDescription } from '../../core/constraintRows';
import { ConstraintType } from '../../core/constraints';
import { HeedfulStatus } from '../../core/status';

const status = (extra: Partial<HeedfulStatus> = {}): HeedfulStatus => ({
    uri: 'file:///ws/app.py', satisfied: 2, total: 3, regressions: 0, failing: ['naming.case'], errors: [], ...extra,
});
const naming = { type: 'naming.case', params: { role: 'function', case: 'snake_case', ignore: [] }, label: 'PEP 8' };
const maxParams = { type: 'size.max_parameters', params: { max: 2, include_lambdas: false }, label: null };
const spec = [
    { constraint: naming, status: 'fail' },
    { constraint: maxParams, status: 'pass' },
    { constraint: { type: 'types.annotation_coverage', params: { min_ratio: 1 }, label: null }, status: 'n/a' },
];
const catalogue = new Map<string, ConstraintType>([['calls.forbidden', {
    id: 'calls.forbidden', category: 'calls', kind: 'static', languages: ['python'], description: '',
    params: [{ name: 'names', type: 'list[str]', required: true }],
}]]);

describe('constraintRows', () => {
    it('marks the spec\'s and the conversation\'s constraints by the server\'s diagnostics', () => {
        const rows = constraintRows({
            status: status(),
            specVerdicts: spec,
            conversation: [{ type: 'calls.forbidden', names: ['eval'], label: 'no eval', turn: 1 }],
            diagnostics: [
                { ...naming, kind: 'violation', line: 7 },
                { ...naming, kind: 'violation', line: 3 },
                { type: 'size.max_parameters', params: { max: 2, include_lambdas: false }, kind: 'out_of_scope', line: 1 },
            ],
            catalogue,
        });
        assert.deepEqual(rows.map((r) => [r.type, r.state, r.violations, r.origin]), [
            ['naming.case', 'fail', 2, 'spec'],
            ['size.max_parameters', 'pass', 0, 'spec'],
            ['calls.forbidden', 'pass', 0, 'conversation'],
            ['types.annotation_coverage', 'n/a', 0, 'spec'],
        ]);
        assert.equal(rows[0].firstLine, 3);
        assert.equal(rows[0].label, 'PEP 8');
        assert.equal(rowDescription(rows[0]), 'fail (2) · naming.case · role=function case=snake_case');
    });

    it('puts regressions first, shows errors, and adds constraints only the server knows', () => {
        const rows = constraintRows({
            status: status({ errors: ['size.max_parameters'], regressions: 1 }),
            specVerdicts: spec,
            conversation: [],
            diagnostics: [
                { ...naming, kind: 'regression', line: 0 },
                { type: 'structure.forbidden_loop', params: { loop_type: 'for' }, label: 'no for loops', kind: 'violation', line: 4 },
            ],
        });
        assert.deepEqual(rows.map((r) => [r.type, r.state]), [
            ['naming.case', 'regression'],
            ['structure.forbidden_loop', 'fail'],
            ['size.max_parameters', 'error'],
            ['types.annotation_coverage', 'n/a'],
        ]);
    });

    it('takes the server\'s verdicts when the status has them', () => {
        const rows = constraintRows({
            status: status({ verdicts: [{ constraint: maxParams, status: 'pass' }, { constraint: naming, status: 'fail' }] }),
            specVerdicts: spec,
            conversation: [],
            diagnostics: [{ ...naming, kind: 'violation', line: 0 }],
        });
        assert.deepEqual(rows.map((r) => [r.type, r.state, r.origin]), [['naming.case', 'fail', 'server'], ['size.max_parameters', 'pass', 'server']]);
    });

    it('stays unknown before the first status', () => {
        const rows = constraintRows({ specVerdicts: spec.slice(0, 2), conversation: [], diagnostics: [] });
        assert.deepEqual(rows.map((r) => r.state), ['unknown', 'unknown']);
        assert.equal(fileSummary(undefined), 'not checked yet');
        assert.equal(fileSummary(status({ regressions: 2 })), '2/3 · 2 regressions');
    });
});
