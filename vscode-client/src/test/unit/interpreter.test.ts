import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import {
    classifyProbe, heedfulArguments, installArguments, isHeedfulPyproject, PROBE_SCRIPT, ProbeRun, resolveInterpreter, serverCommand,
} from '../../core/interpreter';

describe('resolveInterpreter', () => {
    it('prefers the setting, then the Python extension, then python3', () => {
        assert.deepEqual(resolveInterpreter({ setting: ['/opt/py/bin/python', '-X', 'utf8'], pythonExtension: ['/ext/python'] }),
            { command: ['/opt/py/bin/python', '-X', 'utf8'], source: 'setting' });
        assert.deepEqual(resolveInterpreter({ setting: [], pythonExtension: ['/ext/python'] }),
            { command: ['/ext/python'], source: 'python-extension' });
        assert.deepEqual(resolveInterpreter({ setting: [], platform: 'linux' }), { command: ['python3'], source: 'default' });
        assert.deepEqual(resolveInterpreter({ setting: ['  '], pythonExtension: [], platform: 'win32' }),
            { command: ['python'], source: 'default' });
    });

    it('substitutes ${workspaceFolder} and ~, and resolves relative paths against the folder', () => {
        const inputs = { workspaceFolder: '/ws', home: '/home/me' };
        assert.deepEqual(resolveInterpreter({ ...inputs, setting: ['${workspaceFolder}/.venv/bin/python'] }).command, ['/ws/.venv/bin/python']);
        assert.deepEqual(resolveInterpreter({ ...inputs, setting: ['.venv/bin/python'] }).command, ['/ws/.venv/bin/python']);
        assert.deepEqual(resolveInterpreter({ ...inputs, setting: ['~/venvs/h/bin/python'] }).command, ['/home/me/venvs/h/bin/python']);
        assert.deepEqual(resolveInterpreter({ ...inputs, setting: ['${userHome}/py'] }).command, ['/home/me/py']);
        // a bare name is looked up on PATH, not made relative
        assert.deepEqual(resolveInterpreter({ ...inputs, setting: ['python3.12'] }).command, ['python3.12']);
    });
});

describe('serverCommand', () => {
    it('runs the module with the log level (the client appends --stdio)', () => {
        assert.deepEqual(serverCommand({ command: ['/py', '-X', 'utf8'], source: 'setting' }, 'debug'),
            { command: '/py', args: ['-X', 'utf8', '-P', '-m', 'heedful', 'serve', '--log-level', 'debug'] });
    });

    it('keeps the working directory off sys.path, so a workspace typing.py or heedful/ cannot shadow it', () => {
        assert.ok(serverCommand({ command: ['python3'], source: 'default' }, 'warning').args.indexOf('-P') <
            serverCommand({ command: ['python3'], source: 'default' }, 'warning').args.indexOf('-m'));
        assert.deepEqual(heedfulArguments(['constraints']), ['-P', '-m', 'heedful', 'constraints']);
    });
});

describe('classifyProbe', () => {
    const run = (stdout: string, extra: Partial<ProbeRun> = {}): ProbeRun => ({ exitCode: 0, stdout, stderr: '', ...extra });

    it('reads the probe output', () => {
        assert.deepEqual(classifyProbe(run('{"python": [3, 11, 2], "executable": "/v/bin/python", "heedful": "0.1.0"}\n')),
            { kind: 'ok', version: '0.1.0', executable: '/v/bin/python' });
        assert.deepEqual(classifyProbe(run('{"python": [3, 12, 0], "executable": "/usr/bin/python3", "missing": "heedful"}')),
            { kind: 'no-heedful', python: '3.12.0', executable: '/usr/bin/python3' });
        assert.deepEqual(classifyProbe(run('{"python": [3, 9, 18], "executable": "/usr/bin/python3", "missing": "heedful"}')),
            { kind: 'old-python', python: '3.9.18', executable: '/usr/bin/python3' });
        assert.equal(classifyProbe(run('{"python": [3, 11, 0], "executable": "x", "error": "ImportError: boom"}')).kind, 'broken');
    });

    it('tells a missing interpreter from a broken one', () => {
        assert.deepEqual(classifyProbe(run('', { spawnError: 'ENOENT', exitCode: null })), { kind: 'no-interpreter', detail: 'ENOENT' });
        const broken = classifyProbe(run('', { exitCode: 1, stderr: 'Traceback...\nSyntaxError: invalid syntax' }));
        assert.equal(broken.kind, 'broken');
        assert.match((broken as { detail: string }).detail, /SyntaxError/);
        // Python 2 cannot even parse the f-string of the probe
        assert.equal(classifyProbe(run('', { exitCode: 1 })).kind, 'broken');
    });

    // The probe against real interpreters: the repo's .venv (heedful installed) and the same
    // Python without site-packages (-S: heedful not importable).
    const venvPython = path.resolve(__dirname, '../../../../.venv/bin/python');
    const probeWith = (command: string[]): Promise<ProbeRun> => new Promise((resolve) => {
        execFile(command[0], [...command.slice(1), '-c', PROBE_SCRIPT], (error, stdout, stderr) => {
            const code = (error as NodeJS.ErrnoException | null)?.code;
            resolve({ spawnError: typeof code === 'string' ? code : undefined, exitCode: error ? 1 : 0, stdout, stderr });
        });
    });
    it('probes real interpreters', { skip: fs.existsSync(venvPython) ? false : `no ${venvPython}` }, async () => {
        assert.equal(classifyProbe(await probeWith([venvPython])).kind, 'ok');
        assert.equal(classifyProbe(await probeWith([venvPython, '-S'])).kind, 'no-heedful');
        assert.equal(classifyProbe(await probeWith(['/nonexistent/bin/python'])).kind, 'no-interpreter');
    });
});

describe('installArguments', () => {
    it('uses the setting, else an editable install of heedful\'s own source, else PyPI', () => {
        assert.deepEqual(installArguments(['-e', '/src/heedful'], '/ws'), ['-e', '/src/heedful']);
        assert.deepEqual(installArguments([], '/ws'), ['-e', '/ws']);
        assert.deepEqual(installArguments([], undefined), ['heedful']);
    });

    it('recognises heedful\'s pyproject.toml', () => {
        assert.ok(isHeedfulPyproject('[project]\nname = "heedful"\nversion = "0.1.0"\n'));
        assert.ok(!isHeedfulPyproject('[project]\nname = "heedful-plugin"\n'));
        const repoPyproject = path.resolve(__dirname, '../../../../pyproject.toml');
        if (fs.existsSync(repoPyproject)) {
            assert.ok(isHeedfulPyproject(fs.readFileSync(repoPyproject, 'utf8')));
        }
    });
});
