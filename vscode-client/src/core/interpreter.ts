// Which Python runs `heedful serve`, and what a probe of it tells: no VS Code API here, so the
// rules are unit-tested with node's test runner.

import * as path from 'path';

/** Where the interpreter came from, in the order they are tried. */
export type InterpreterSource = 'setting' | 'python-extension' | 'default';

export interface Interpreter {
    /** The executable and any arguments that go before `-m heedful`. */
    command: string[];
    source: InterpreterSource;
}

export interface InterpreterInputs {
    /** The `heedful.interpreter` setting. */
    setting: readonly string[];
    /** The Python extension's active interpreter for the workspace, when it is installed. */
    pythonExtension?: readonly string[];
    /** The workspace folder the server runs for (substituted for `${workspaceFolder}`). */
    workspaceFolder?: string;
    home?: string;
    platform?: NodeJS.Platform;
}

/**
 * The interpreter to use: the setting, then the Python extension's interpreter, then `python3`
 * (`python` on Windows). Paths in the setting may use `${workspaceFolder}`, `${userHome}`, `~`,
 * and be relative to the workspace folder.
 */
export function resolveInterpreter(inputs: InterpreterInputs): Interpreter {
    const setting = inputs.setting.map((part) => part.trim()).filter((part) => part.length > 0);
    if (setting.length > 0) {
        const [executable, ...rest] = setting.map((part) => substitute(part, inputs));
        return { command: [absoluteExecutable(executable, inputs.workspaceFolder), ...rest], source: 'setting' };
    }
    const fromExtension = (inputs.pythonExtension ?? []).filter((part) => part.length > 0);
    if (fromExtension.length > 0) {
        return { command: [...fromExtension], source: 'python-extension' };
    }
    return { command: [(inputs.platform ?? process.platform) === 'win32' ? 'python' : 'python3'], source: 'default' };
}

function substitute(value: string, inputs: InterpreterInputs): string {
    let out = value;
    if (inputs.workspaceFolder !== undefined) {
        out = out.split('${workspaceFolder}').join(inputs.workspaceFolder);
    }
    if (inputs.home !== undefined) {
        out = out.split('${userHome}').join(inputs.home);
        if (out === '~' || out.startsWith('~/')) {
            out = inputs.home + out.slice(1);
        }
    }
    return out;
}

/** A relative path with a separator (`.venv/bin/python`) is relative to the workspace folder;
 * a bare name (`python3`) is looked up on PATH. */
function absoluteExecutable(executable: string, workspaceFolder: string | undefined): string {
    const hasSeparator = executable.includes('/') || executable.includes('\\');
    if (hasSeparator && !path.isAbsolute(executable) && workspaceFolder !== undefined) {
        return path.join(workspaceFolder, executable);
    }
    return executable;
}

/** Python's safe-path flag: the working directory (the workspace, which may hold a `typing.py`
 * or a clone named `heedful`) is not put on `sys.path`, so it cannot shadow what heedful
 * imports. Python 3.11+, heedful's minimum (the probe checks the version first). Not `-I`: that
 * also drops PYTHONPATH and the user's site-packages, where heedful may be installed. */
export const SAFE_PATH = '-P';

/** The command line that starts the server (vscode-languageclient appends `--stdio`). */
export function serverCommand(interpreter: Interpreter, logLevel: string): { command: string; args: string[] } {
    const [command, ...prefix] = interpreter.command;
    return { command, args: [...prefix, SAFE_PATH, '-m', 'heedful', 'serve', '--log-level', logLevel] };
}

/** The arguments for running `heedful <args>` (the catalogue, checks) with the interpreter. */
export function heedfulArguments(args: readonly string[]): string[] {
    return [SAFE_PATH, '-m', 'heedful', ...args];
}

/** Run with the interpreter to find out whether heedful can be imported, and which Python it is. */
export const PROBE_SCRIPT = [
    // `-c` puts the working directory first on sys.path; the probe runs on any Python (to say
    // "too old"), so it drops that entry itself before importing anything that could be shadowed
    'import sys',
    'sys.path[:] = [p for p in sys.path if p not in ("", ".")]',
    'import json',
    'info = {"python": list(sys.version_info[:3]), "executable": sys.executable}',
    'try:',
    '    import heedful',
    '    info["heedful"] = getattr(heedful, "__version__", "unknown")',
    'except ModuleNotFoundError as exc:',
    '    info["missing"] = exc.name',
    'except Exception as exc:',
    '    info["error"] = f"{type(exc).__name__}: {exc}"',
    'print(json.dumps(info))',
].join('\n');

/** heedful's own minimum (pyproject.toml `requires-python`). */
export const MINIMUM_PYTHON: readonly [number, number] = [3, 11];

export type Probe =
    | { kind: 'ok'; version: string; executable: string }
    | { kind: 'no-interpreter'; detail: string }
    | { kind: 'old-python'; python: string; executable: string }
    | { kind: 'no-heedful'; python: string; executable: string }
    | { kind: 'broken'; detail: string };

export interface ProbeRun {
    /** The spawn error's code (ENOENT, EACCES) when the interpreter could not be started. */
    spawnError?: string;
    exitCode: number | null;
    stdout: string;
    stderr: string;
}

/** What a run of PROBE_SCRIPT says about the interpreter. */
export function classifyProbe(run: ProbeRun): Probe {
    if (run.spawnError !== undefined) {
        return { kind: 'no-interpreter', detail: run.spawnError };
    }
    const line = run.stdout.trim().split('\n').pop() ?? '';
    let info: { python?: number[]; executable?: string; heedful?: string; missing?: string; error?: string };
    try {
        info = JSON.parse(line);
    } catch {
        const detail = (run.stderr || run.stdout).trim().split('\n').slice(-3).join(' ');
        return { kind: 'broken', detail: detail || `exited with ${run.exitCode}` };
    }
    const python = (info.python ?? []).join('.');
    const executable = info.executable ?? '';
    const [major = 0, minor = 0] = info.python ?? [];
    if (major < MINIMUM_PYTHON[0] || (major === MINIMUM_PYTHON[0] && minor < MINIMUM_PYTHON[1])) {
        return { kind: 'old-python', python, executable };
    }
    if (info.missing !== undefined) {
        // heedful itself is missing, or one of its dependencies: either way, install heedful
        return { kind: 'no-heedful', python, executable };
    }
    if (info.error !== undefined) {
        return { kind: 'broken', detail: info.error };
    }
    return { kind: 'ok', version: info.heedful ?? 'unknown', executable };
}

/**
 * The arguments after `python -m pip install` that install heedful: the `heedful.installCommand`
 * setting, else an editable install of a workspace folder that is heedful's own source, else the
 * `heedful` package.
 */
export function installArguments(setting: readonly string[], heedfulSourceFolder: string | undefined): string[] {
    const given = setting.filter((part) => part.trim().length > 0);
    if (given.length > 0) {
        return [...given];
    }
    if (heedfulSourceFolder !== undefined) {
        return ['-e', heedfulSourceFolder];
    }
    return ['heedful'];
}

/** Does this pyproject.toml text declare the `heedful` distribution? */
export function isHeedfulPyproject(text: string): boolean {
    return /^\s*name\s*=\s*["']heedful["']/m.test(text);
}
