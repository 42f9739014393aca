// The Python side: which interpreter (setting, Python extension, python3), whether heedful is
// installed in it, and the two `heedful` commands the extension runs besides the server
// (`heedful constraints` for the catalogue, `heedful check` for the view's constraint lists).

import { execFile } from 'child_process';
import * as os from 'os';
import * as vscode from 'vscode';
import { PYTHON_EXTENSION_ID } from './constants';
import { getSettings, projectRoot } from './settings';
import { traceError, traceVerbose } from './log/logging';
import { ConstraintType, parseCatalogue } from '../core/constraints';
import { SpecVerdict } from '../core/constraintRows';
import {
    classifyProbe, heedfulArguments, Interpreter, Probe, PROBE_SCRIPT, ProbeRun, resolveInterpreter,
} from '../core/interpreter';

/** The parts of the Python extension's API used here (both its current and its older API). */
interface PythonExtensionApi {
    environments?: {
        getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined;
        resolveEnvironment(path: { path: string } | string): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
        onDidChangeActiveEnvironmentPath: vscode.Event<unknown>;
    };
    settings?: {
        getExecutionDetails(resource?: vscode.Uri): { execCommand: string[] | undefined };
        onDidChangeExecutionDetails: vscode.Event<unknown>;
    };
}

async function pythonExtensionApi(): Promise<PythonExtensionApi | undefined> {
    const extension = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
    if (extension === undefined) {
        return undefined;
    }
    try {
        return extension.isActive ? extension.exports : await extension.activate();
    } catch (error) {
        traceError('the Python extension did not activate', error);
        return undefined;
    }
}

/** The Python extension's interpreter for `resource`, when the extension is installed. */
export async function pythonExtensionInterpreter(resource?: vscode.Uri): Promise<string[] | undefined> {
    const api = await pythonExtensionApi();
    if (api === undefined) {
        return undefined;
    }
    try {
        if (api.environments !== undefined) {
            const active = api.environments.getActiveEnvironmentPath(resource);
            const environment = active ? await api.environments.resolveEnvironment(active) : undefined;
            const executable = environment?.executable.uri?.fsPath;
            if (executable) {
                return [executable];
            }
        }
        return api.settings?.getExecutionDetails(resource).execCommand;
    } catch (error) {
        traceError('could not ask the Python extension for its interpreter', error);
        return undefined;
    }
}

/** Fires when the Python extension's interpreter changes (nothing when it is not installed). */
export async function onDidChangePythonInterpreter(listener: () => void): Promise<vscode.Disposable | undefined> {
    const api = await pythonExtensionApi();
    return api?.environments?.onDidChangeActiveEnvironmentPath(listener)
        ?? api?.settings?.onDidChangeExecutionDetails(listener);
}

export function hasPythonExtension(): boolean {
    return vscode.extensions.getExtension(PYTHON_EXTENSION_ID) !== undefined;
}

/** The interpreter for the project: setting, then the Python extension, then python3. */
export async function currentInterpreter(): Promise<Interpreter> {
    const folder = projectRoot();
    const settings = getSettings(folder?.uri);
    return resolveInterpreter({
        setting: settings.interpreter,
        pythonExtension: settings.interpreter.length === 0 ? await pythonExtensionInterpreter(folder?.uri) : undefined,
        workspaceFolder: folder?.uri.fsPath,
        home: os.homedir(),
    });
}

/** Run the interpreter with `args`; never rejects (a spawn error is in the result). */
export function runPython(interpreter: Interpreter, args: string[], timeoutMs = 60_000): Promise<ProbeRun> {
    const [command, ...prefix] = interpreter.command;
    return new Promise((resolve) => {
        execFile(command, [...prefix, ...args], {
            cwd: projectRoot()?.uri.fsPath, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024, windowsHide: true,
        }, (error, stdout, stderr) => {
            const code = (error as NodeJS.ErrnoException | null)?.code;
            resolve({
                spawnError: typeof code === 'string' ? code : undefined,
                exitCode: error === null ? 0 : typeof code === 'number' ? code : (error as { status?: number }).status ?? null,
                stdout: String(stdout),
                stderr: String(stderr),
            });
        });
    });
}

/** Is heedful installed in the interpreter (and is the Python new enough)? */
export async function probe(interpreter: Interpreter): Promise<Probe> {
    const result = classifyProbe(await runPython(interpreter, ['-c', PROBE_SCRIPT], 30_000));
    traceVerbose(`probe of ${interpreter.command.join(' ')}: ${JSON.stringify(result)}`);
    return result;
}

const catalogues = new Map<string, Promise<ConstraintType[]>>();

/** The constraint types (`heedful constraints --format json`), once per interpreter. */
export function constraintCatalogue(interpreter: Interpreter): Promise<ConstraintType[]> {
    const key = interpreter.command.join('\0');
    let catalogue = catalogues.get(key);
    if (catalogue === undefined) {
        catalogue = runPython(interpreter, heedfulArguments(['constraints', '--format', 'json'])).then((run) => {
            if (run.exitCode !== 0) {
                throw new Error(`heedful constraints failed: ${(run.stderr || run.stdout).trim().slice(-500)}`);
            }
            return parseCatalogue(run.stdout);
        });
        catalogue.catch(() => catalogues.delete(key));
        catalogues.set(key, catalogue);
    }
    return catalogue;
}

/**
 * The verdicts `heedful check --format json` gives a saved file with the given spec files (one
 * run per file, as the server merges them): which constraints of the spec apply to the file,
 * and which are n/a for its language.
 */
export async function specVerdicts(interpreter: Interpreter, file: string, specFiles: string[]): Promise<SpecVerdict[]> {
    const out: SpecVerdict[] = [];
    for (const spec of specFiles) {
        const run = await runPython(interpreter, heedfulArguments(['check', file, '--format', 'json', '--constraints', spec]));
        if (run.exitCode !== 0 && run.exitCode !== 1) {
            traceVerbose(`heedful check ${file} with ${spec}: ${(run.stderr || run.stdout).trim().slice(-300)}`);
            continue; // a missing or malformed spec: the server reports it on the spec file itself
        }
        try {
            const result = JSON.parse(run.stdout) as { files?: { verdicts?: SpecVerdict[] }[] };
            out.push(...(result.files?.[0]?.verdicts ?? []));
        } catch (error) {
            traceError(`heedful check ${file} printed no JSON`, error);
        }
    }
    return out;
}
