// When the interpreter cannot run heedful: one notification that says why, with the fix one
// click away: install heedful into that interpreter (pip, run as a task; the server restarts when
// it succeeds), pick another interpreter, or look at the output.

import * as path from 'path';
import * as vscode from 'vscode';
import { StartFailure } from '../common/server';
import { describeProbe } from '../common/server';
import { hasPythonExtension } from '../common/python';
import { getSettings, projectRoot } from '../common/settings';
import { traceError, traceInfo } from '../common/log/logging';
import { installArguments, Interpreter, isHeedfulPyproject } from '../core/interpreter';

const INSTALL = 'Install heedful';
const SELECT = 'Select Interpreter';
const OUTPUT = 'Show Output';

export class InstallFix implements vscode.Disposable {
    private readonly shown = new Set<string>();
    private readonly disposables: vscode.Disposable[] = [];

    constructor(
        private readonly restart: (reason: string) => Promise<void>,
        private readonly outputChannel: vscode.OutputChannel,
    ) {}

    /** Offer the fix once per interpreter and problem (a restart that fails the same way is quiet). */
    async offer(failure: StartFailure, always = false): Promise<void> {
        const key = `${failure.interpreter.command.join('\0')}|${failure.probe.kind}`;
        if (this.shown.has(key) && !always) {
            return;
        }
        this.shown.add(key);
        const message = `heedful: ${describeProbe(failure.interpreter, failure.probe)}`;
        const buttons = failure.probe.kind === 'no-heedful' ? [INSTALL, SELECT, OUTPUT] : [SELECT, OUTPUT];
        const choice = await vscode.window.showErrorMessage(message, ...buttons);
        if (choice === INSTALL) {
            await this.install(failure.interpreter);
        } else if (choice === SELECT) {
            await selectInterpreter();
        } else if (choice === OUTPUT) {
            this.outputChannel.show();
        }
    }

    /** `python -m pip install heedful` (or the `heedful.installCommand` setting) as a task. */
    async install(interpreter: Interpreter): Promise<void> {
        const folder = projectRoot();
        const args = installArguments(getSettings(folder?.uri).installCommand, await heedfulSourceFolder());
        const [command, ...prefix] = interpreter.command;
        const execution = new vscode.ProcessExecution(command, [...prefix, '-m', 'pip', 'install', ...args]);
        const task = new vscode.Task({ type: 'heedful', task: 'install' }, folder ?? vscode.TaskScope.Workspace,
            'Install heedful', 'heedful', execution);
        task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, clear: true };
        traceInfo(`installing: ${command} ${[...prefix, '-m', 'pip', 'install', ...args].join(' ')}`);
        const running = await vscode.tasks.executeTask(task);
        const ended = vscode.tasks.onDidEndTaskProcess(async (event) => {
            if (event.execution !== running) {
                return;
            }
            ended.dispose();
            if (event.exitCode === 0) {
                this.shown.clear();
                void vscode.window.showInformationMessage('heedful: installed; starting the server.');
                await this.restart('heedful was installed');
            } else {
                traceError(`pip install exited with ${event.exitCode}`);
                void vscode.window.showErrorMessage(
                    'heedful: the install failed (see the terminal). Set `heedful.installCommand` to install it ' +
                    'from elsewhere, e.g. ["-e", "/path/to/heedful"].', 'Open Settings').then((choice) => {
                    if (choice) {
                        void vscode.commands.executeCommand('workbench.action.openSettings', 'heedful.installCommand');
                    }
                });
            }
        });
        this.disposables.push(ended);
    }

    dispose(): void {
        this.disposables.forEach((d) => d.dispose());
    }
}

/** A workspace folder that is heedful's own source (its pyproject.toml names the distribution). */
async function heedfulSourceFolder(): Promise<string | undefined> {
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
        try {
            const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, 'pyproject.toml'));
            if (isHeedfulPyproject(Buffer.from(bytes).toString('utf8'))) {
                return folder.uri.fsPath;
            }
        } catch {
            // no pyproject.toml here
        }
    }
    return undefined;
}

/**
 * Choose the interpreter: the Python extension's picker when it is installed (heedful follows it
 * while `heedful.interpreter` is empty), else a file dialog that writes `heedful.interpreter`.
 */
export async function selectInterpreter(): Promise<void> {
    const folder = projectRoot();
    if (hasPythonExtension() && getSettings(folder?.uri).interpreter.length === 0) {
        await vscode.commands.executeCommand('python.setInterpreter');
        return;
    }
    const picked = await vscode.window.showOpenDialog({
        title: 'heedful: the Python interpreter that runs `heedful serve`',
        canSelectMany: false,
        openLabel: 'Use This Interpreter',
        defaultUri: folder ? vscode.Uri.joinPath(folder.uri, '.venv', 'bin') : undefined,
    });
    if (picked && picked.length > 0) {
        const target = folder ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
        await vscode.workspace.getConfiguration('heedful', folder?.uri).update('interpreter', [picked[0].fsPath], target);
        traceInfo(`heedful.interpreter set to ${picked[0].fsPath} (${path.basename(picked[0].fsPath)})`);
    }
}
