// package.json against the code: every contributed command is registered, every setting is
// read, and the activation languages are the ones the server checks.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { LANGUAGES } from '../../common/constants';
import { DEFAULT_SETTINGS } from '../../core/settings';

const root = path.resolve(__dirname, '../../..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const sources = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? (entry.name === 'test' ? [] : sources(path.join(dir, entry.name)))
        : entry.name.endsWith('.ts') ? [fs.readFileSync(path.join(dir, entry.name), 'utf8')] : []);
const code = sources(path.join(root, 'src')).join('\n');

describe('package.json', () => {
    it('registers every contributed command', () => {
        for (const { command } of manifest.contributes.commands) {
            assert.ok(code.includes(`registerCommand('${command}'`), `${command} is contributed but never registered`);
        }
    });

    it('reads every contributed setting, with the same defaults', () => {
        const properties = manifest.contributes.configuration.properties as Record<string, { default: unknown }>;
        const byKey: Record<string, unknown> = { ...DEFAULT_SETTINGS, 'trace.server': DEFAULT_SETTINGS.traceServer };
        delete byKey.traceServer;
        assert.deepEqual(Object.keys(properties).sort(), Object.keys(byKey).map((key) => `heedful.${key}`).sort());
        for (const [key, value] of Object.entries(byKey)) {
            assert.deepEqual(properties[`heedful.${key}`].default, value, key);
        }
    });

    it('activates for the languages the server checks', () => {
        const languages = manifest.activationEvents.filter((e: string) => e.startsWith('onLanguage:')).map((e: string) => e.slice(11));
        assert.deepEqual(languages.sort(), Object.keys(LANGUAGES).sort());
    });

    it('ships the bundle only', () => {
        assert.equal(manifest.main, './dist/extension.js');
        const ignore = fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8');
        assert.match(ignore, /^\*\*$/m);
        assert.match(ignore, /^!dist\/extension\.js$/m);
    });
});
