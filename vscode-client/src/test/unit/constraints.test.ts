import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
    constraintKey, ConstraintType, describeParams, normalisedParams, paramsTemplate, parseCatalogue, parseConstraintSnippet, parseParams,
} from '../../core/constraints';

const NAMING: ConstraintType = {
    id: 'naming.case', category: 'naming', kind: 'static', languages: ['python'], description: 'Names follow a case style.',
    params: [
        { name: 'role', type: 'str', required: true, choices: ['function', 'class', 'variable'] },
        { name: 'case', type: 'str', required: true, choices: ['snake_case', 'camelCase'] },
        { name: 'ignore', type: 'list[str]', required: false, default: [] },
    ],
};
const MAX_PARAMS: ConstraintType = {
    id: 'size.max_parameters', category: 'size', kind: 'static', languages: ['python'], description: 'At most N parameters.',
    params: [{ name: 'max', type: 'int', required: true, minimum: 0 }, { name: 'include_lambdas', type: 'bool', required: false, default: false }],
};
const RATIO: ConstraintType = {
    id: 'comments.ratio', category: 'comments', kind: 'static', languages: ['python'], description: 'Comment share.',
    params: [{ name: 'min', type: 'float', required: false, default: 0, minimum: 0, maximum: 1 }],
};

describe('parseConstraintSnippet', () => {
    it('reads [[constraint]] tables as in heedful.toml', () => {
        const parsed = parseConstraintSnippet('[[constraint]]\ntype = "naming.case"\nrole = "function"\ncase = "snake_case"\nlabel = "PEP 8"\n\n[[constraint]]\ntype = "size.max_parameters"\nmax = 2\n');
        assert.deepEqual(parsed, { kind: 'constraints', groups: [{ constraints: [
            { type: 'naming.case', role: 'function', case: 'snake_case', label: 'PEP 8' },
            { type: 'size.max_parameters', max: 2 },
        ] }] });
    });

    it('reads [[files]] sections with their globs, and a bare table', () => {
        const parsed = parseConstraintSnippet('[[files]]\nglob = "*.py"\n\n[[files.constraint]]\ntype = "calls.forbidden"\nnames = ["eval"]\n');
        assert.deepEqual(parsed, { kind: 'constraints', groups: [{ glob: '*.py', constraints: [{ type: 'calls.forbidden', names: ['eval'] }] }] });
        assert.deepEqual(parseConstraintSnippet('type = "size.max_parameters"\nmax = 3'),
            { kind: 'constraints', groups: [{ constraints: [{ type: 'size.max_parameters', max: 3 }] }] });
    });

    it('treats prose as an instruction and reports broken snippets', () => {
        assert.deepEqual(parseConstraintSnippet('Use snake_case for every function.'), { kind: 'instruction', text: 'Use snake_case for every function.' });
        assert.deepEqual(parseConstraintSnippet('  keep functions short  '), { kind: 'instruction', text: 'keep functions short' });
        const broken = parseConstraintSnippet('[[constraint]]\ntype = "size.max_parameters"\nmax = ');
        assert.equal(broken.kind, 'invalid');
        const untyped = parseConstraintSnippet('[[constraint]]\nmax = 3\n');
        assert.deepEqual(untyped, { kind: 'invalid', error: '[[constraint]] #1: missing `type = "<constraint id>"`' });
        assert.equal(parseConstraintSnippet('name = "x"').kind, 'invalid');
    });
});

describe('parameters', () => {
    it('starts the input with the required parameters', () => {
        assert.equal(paramsTemplate(NAMING), 'role = "function", case = "snake_case"');
        assert.equal(paramsTemplate(MAX_PARAMS), 'max = 1');
        assert.equal(paramsTemplate(RATIO), '');
        assert.match(describeParams(NAMING), /role: str \("function" \| "class" \| "variable"\), required/);
        assert.match(describeParams(NAMING), /ignore: list\[str\], default \[\]/);
    });

    it('parses TOML pairs and checks them against the type', () => {
        assert.deepEqual(parseParams('max = 3, include_lambdas = true,', MAX_PARAMS), { ok: true, params: { max: 3, include_lambdas: true } });
        assert.deepEqual(parseParams('role = "class", case = "camelCase", ignore = ["ID"], label = "Java style"', NAMING),
            { ok: true, params: { role: 'class', case: 'camelCase', ignore: ['ID'], label: 'Java style' } });
        assert.deepEqual(parseParams('', RATIO), { ok: true, params: {} });
        const errors = [
            parseParams('max = "three"', MAX_PARAMS),
            parseParams('max = 2.5', MAX_PARAMS),
            parseParams('max = -1', MAX_PARAMS),
            parseParams('include_lambdas = true', MAX_PARAMS),
            parseParams('max = 2, maximum = 3', MAX_PARAMS),
            parseParams('role = "module", case = "snake_case"', NAMING),
            parseParams('role = "function", case = "snake_case", ignore = "ID"', NAMING),
            parseParams('min = 1.5', RATIO),
            parseParams('max = ', MAX_PARAMS),
        ].map((result) => (result.ok ? 'ok' : result.error));
        assert.deepEqual(errors, [
            '\'max\': must be an integer, got "three"',
            '\'max\': must be an integer, got 2.5',
            '\'max\': must be at least 0',
            'missing required parameter \'max\' (int)',
            'size.max_parameters has no parameter \'maximum\' (its parameters: max, include_lambdas)',
            '\'role\': must be one of "function", "class", "variable"',
            '\'ignore\': must be a list of strings, e.g. ["a", "b"], got "ID"',
            '\'min\': must be at most 1',
            errors[8],
        ]);
        assert.match(errors[8], /^write key = value pairs/);
    });
});

describe('identity', () => {
    it('keys constraints by type and parameters, defaults filled in', () => {
        const params = normalisedParams({ type: 'naming.case', role: 'function', case: 'snake_case', label: 'x', turn: 2 }, NAMING);
        assert.deepEqual(params, { role: 'function', case: 'snake_case', ignore: [] });
        assert.equal(constraintKey('naming.case', params), constraintKey('naming.case', { ignore: [], case: 'snake_case', role: 'function' }));
        assert.notEqual(constraintKey('size.max_parameters', { max: 2 }), constraintKey('size.max_parameters', { max: 3 }));
    });

    it('reads the catalogue', () => {
        assert.equal(parseCatalogue(JSON.stringify([NAMING]))[0].id, 'naming.case');
        assert.throws(() => parseCatalogue('{"id": 1}'), /list of constraint types/);
    });
});
