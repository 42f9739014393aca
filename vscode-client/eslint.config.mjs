// Lint: eslint's and typescript-eslint's recommended rules, plus a few that catch real bugs in
// an extension (floating promises are allowed only when marked with `void`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
    { ignores: ['dist/**', 'out/**', 'node_modules/**'] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        files: ['src/**/*.ts'],
        languageOptions: { parserOptions: { project: './tsconfig.json' } },
        rules: {
            '@typescript-eslint/no-floating-promises': 'error',
            '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
            'eqeqeq': ['error', 'always'],
            'curly': 'error',
            'no-console': 'error',
        },
    },
    {
        // node:test's describe/it return promises the runner awaits
        files: ['src/test/**/*.ts'],
        rules: { '@typescript-eslint/no-floating-promises': 'off' },
    },
    {
        files: ['test/**/*.mjs', 'esbuild.mjs'],
        languageOptions: {
            globals: {
                process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly',
                fetch: 'readonly',
                navigator: 'readonly', // in page.evaluate: runs in the browser
            },
        },
    },
);
