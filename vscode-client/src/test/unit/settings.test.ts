import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SETTINGS, readSettings, serverSettings } from '../../core/settings';

describe('serverSettings', () => {
    it('sends the server its own keys only, by its names', () => {
        assert.deepEqual(serverSettings(DEFAULT_SETTINGS), {
            debounce_ms: 150, constraint_files: ['heedful.toml'], study_recording: false, study_full_text: false,
        });
        const custom = serverSettings({
            ...DEFAULT_SETTINGS, debounceMs: 0, constraintFiles: ['a.toml', 'b/c.toml'], studyRecording: true,
            studyFullText: true, docsUrl: ' https://example.invalid/docs ', interpreter: ['/py'], traceServer: 'verbose',
        });
        assert.deepEqual(custom, {
            debounce_ms: 0, constraint_files: ['a.toml', 'b/c.toml'], study_recording: true, study_full_text: true,
            docs_url: 'https://example.invalid/docs',
        });
    });

    it('never records full texts without recording', () => {
        assert.equal(serverSettings({ ...DEFAULT_SETTINGS, studyFullText: true }).study_full_text, false);
    });
});

describe('readSettings', () => {
    it('falls back to defaults for missing and invalid values', () => {
        assert.deepEqual(readSettings(() => undefined), DEFAULT_SETTINGS);
        const values: Record<string, unknown> = {
            interpreter: '/usr/bin/python3', debounceMs: -5, constraintFiles: [1, 2], logLevel: 'loud', 'trace.server': 'verbose',
        };
        const settings = readSettings((key) => values[key]);
        assert.deepEqual(settings.interpreter, ['/usr/bin/python3']);
        assert.equal(settings.debounceMs, 150);
        assert.deepEqual(settings.constraintFiles, ['heedful.toml']);
        assert.equal(settings.logLevel, 'warning');
        assert.equal(settings.traceServer, 'verbose');
    });
});
