// The language client: starts `python -P -m heedful serve` (stdio) with the chosen interpreter,
// restarts it when it crashes (a bounded number of times) and on command, and relays the
// server's `heedful/status` notifications.

import * as vscode from 'vscode';
import {
    CloseAction,
    DidChangeConfigurationNotification,
    DocumentDiagnosticRequest,
    DocumentSelector,
    ErrorAction,
    LanguageClient,
    LanguageClientOptions,
    RevealOutputChannelOn,
    ServerOptions,
    State,
    TransportKind,
} from 'vscode-languageclient/node';
import {
    ASSISTANT_EDIT, CONFIG_SECTION, COPY_FEEDBACK, LANGUAGES, SERVER_ID, SERVER_NAME, SET_CONSTRAINTS, STATUS,
} from './constants';
import { traceError, traceInfo, traceWarn } from './log/logging';
import { currentInterpreter, probe } from './python';
import { getSettings, projectRoot } from './settings';
import { Interpreter, Probe, serverCommand } from '../core/interpreter';
import { RestartBudget } from '../core/restartBudget';
import { describeStop, StderrTail } from '../core/stderrTail';
import { serverSettings } from '../core/settings';
import { HeedfulStatus, parseStatus, ServerState } from '../core/status';
import { SetConstraintsParams, toWire } from '../core/conversation';
import type { AssistantEditParams, SetConstraintsResult } from './protocol';

export interface StartFailure {
    interpreter: Interpreter;
    probe: Probe;
}

/** The documents the server checks: the languages heedful knows, and the spec files (for their
 * error diagnostics). */
export function documentSelector(constraintFiles: string[]): DocumentSelector {
    const selector: { scheme: string; language?: string; pattern?: string }[] = [];
    for (const language of Object.keys(LANGUAGES)) {
        selector.push({ scheme: 'file', language }, { scheme: 'untitled', language });
    }
    for (const file of new Set(constraintFiles.map((f) => f.split(/[\\/]/).pop() ?? f))) {
        selector.push({ scheme: 'file', pattern: `**/${file}` });
    }
    return selector;
}

export class HeedfulClient implements vscode.Disposable {
    private client: LanguageClient | undefined;
    private readonly budget = new RestartBudget();
    /** What the server wrote on stderr lately: shown when it stops (the output channel has all). */
    private readonly stderr = new StderrTail();
    private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
    private readonly statusEmitter = new vscode.EventEmitter<HeedfulStatus>();
    private readonly failureEmitter = new vscode.EventEmitter<StartFailure>();
    private clientDisposables: vscode.Disposable[] = [];
    private starting: Promise<void> | undefined;
    private _state: ServerState = 'stopped';
    private _problem: string | undefined;
    private _interpreter: Interpreter | undefined;

    readonly onDidChangeState = this.stateEmitter.event;
    readonly onStatus = this.statusEmitter.event;
    /** The interpreter cannot run heedful (missing, too old, heedful not installed). */
    readonly onStartFailure = this.failureEmitter.event;

    constructor(private readonly outputChannel: vscode.LogOutputChannel) {}

    get state(): ServerState {
        return this._state;
    }

    /** Why the server is not running, for the status bar. */
    get problem(): string | undefined {
        return this._problem;
    }

    get interpreter(): Interpreter | undefined {
        return this._interpreter;
    }

    /** (Re)start the server; concurrent calls share one restart. */
    restart(reason: string): Promise<void> {
        const previous = this.starting ?? Promise.resolve();
        const next = previous.then(() => this.doRestart(reason));
        this.starting = next.finally(() => {
            if (this.starting === next) {
                this.starting = undefined;
            }
        });
        return next;
    }

    private setState(state: ServerState, problem?: string): void {
        this._state = state;
        this._problem = problem;
        void vscode.commands.executeCommand('setContext', 'heedful.running', state === 'running');
        this.stateEmitter.fire(state);
    }

    private async doRestart(reason: string): Promise<void> {
        traceInfo(`server: ${reason}`);
        await this.stopClient();
        this.budget.reset();
        this.stderr.clear();
        const folder = projectRoot();
        const settings = getSettings(folder?.uri);
        this.setState('starting');
        const interpreter = await currentInterpreter();
        this._interpreter = interpreter;
        traceInfo(`Python interpreter (${interpreter.source}): ${interpreter.command.join(' ')}`);
        const result = await probe(interpreter);
        if (result.kind !== 'ok') {
            const problem = describeProbe(interpreter, result);
            traceError(problem);
            this.setState('failed', problem);
            this.failureEmitter.fire({ interpreter, probe: result });
            return;
        }
        traceInfo(`heedful ${result.version} in ${result.executable}`);
        const { command, args } = serverCommand(interpreter, settings.logLevel);
        const serverOptions: ServerOptions = {
            command,
            args,
            transport: TransportKind.stdio,
            options: { cwd: folder?.uri.fsPath, env: { ...process.env, PYTHONUNBUFFERED: '1' } },
        };
        const clientOptions: LanguageClientOptions = {
            documentSelector: documentSelector(settings.constraintFiles),
            // the client writes the server's stderr with `append`: tap it for the error messages
            outputChannel: tapAppend(this.outputChannel, (text) => this.stderr.append(text)),
            traceOutputChannel: this.outputChannel,
            revealOutputChannelOn: RevealOutputChannelOn.Never,
            initializationOptions: serverSettings(settings),
            workspaceFolder: folder,
            errorHandler: {
                error: () => ({ action: ErrorAction.Continue }),
                closed: () => {
                    const said = this.stderr.text();
                    this.stderr.clear();
                    if (this.budget.crashed(Date.now())) {
                        traceWarn(describeStop(`the server stopped; restarting it (${this.budget.recentCrashes} of ` +
                            `${this.budget.maxRestarts}).`, said));
                        return { action: CloseAction.Restart, handled: true };
                    }
                    const problem = describeStop(`The heedful server stopped ${this.budget.recentCrashes} times in ` +
                        `${this.budget.windowMs / 60000} minutes; it is not restarted again.`, said);
                    this.setState('failed', problem);
                    void vscode.window.showErrorMessage(`heedful: ${problem}`, 'Restart', 'Show Output').then((choice) => {
                        if (choice === 'Restart') {
                            void this.restart('restart after crashes (asked)');
                        } else if (choice === 'Show Output') {
                            this.outputChannel.show();
                        }
                    });
                    return { action: CloseAction.DoNotRestart, handled: true };
                },
            },
            middleware: {
                workspace: {
                    // the server reads section `heedful`: answer with the keys it knows, by its names
                    configuration: async (params, token, next) => {
                        const result = await next(params, token);
                        if (!Array.isArray(result)) {
                            return result;
                        }
                        return params.items.map((item, index) => item.section === CONFIG_SECTION
                            ? serverSettings(getSettings(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : folder?.uri))
                            : result[index]);
                    },
                },
                // the quick fix "copy feedback for the assistant": the server returns the text
                executeCommand: async (command, args, next) => {
                    const result = await next(command, args);
                    if (command === COPY_FEEDBACK) {
                        const text = typeof result === 'string' && result ? result : typeof args[0] === 'string' ? args[0] : '';
                        if (text) {
                            await vscode.env.clipboard.writeText(text);
                            vscode.window.setStatusBarMessage('$(copy) heedful: feedback for the assistant copied', 5000);
                        }
                    }
                    return result;
                },
            },
        };
        const client = new LanguageClient(SERVER_ID, SERVER_NAME, serverOptions, clientOptions);
        this.client = client;
        this.clientDisposables.push(
            client.onDidChangeState((event) => {
                if (this.client !== client) {
                    return;
                }
                if (event.newState === State.Running) {
                    this.setState('running');
                } else if (event.newState === State.Starting) {
                    this.setState('starting');
                } else if (this._state !== 'failed') {
                    this.setState('stopped', 'The server stopped.');
                }
            }),
            client.onNotification(STATUS, (params: unknown) => {
                const status = parseStatus(params);
                if (status !== undefined) {
                    this.statusEmitter.fire(status);
                }
            }),
        );
        try {
            await client.start();
            traceInfo(`server started: ${command} ${args.join(' ')}`);
        } catch (error) {
            traceError('the server did not start', error);
            if (this.client === client) {
                await new Promise((resolve) => setTimeout(resolve, 200)); // its last stderr lines
                const problem = describeStop(
                    `The server did not start: ${error instanceof Error ? error.message : String(error)}.`, this.stderr.text());
                this.setState('failed', problem);
                void vscode.window.showErrorMessage(`heedful: ${problem}`, 'Show Output').then((choice) => {
                    if (choice === 'Show Output') {
                        this.outputChannel.show();
                    }
                });
            }
        }
    }

    private async stopClient(): Promise<void> {
        const client = this.client;
        this.client = undefined;
        this.clientDisposables.forEach((d) => d.dispose());
        this.clientDisposables = [];
        if (client !== undefined) {
            try {
                if (client.state === State.Starting) {
                    // A start under way (the client's own restart after a crash): `stop` refuses a
                    // starting client, which then went on starting beside the next one and held its
                    // commands ("command 'heedful.copyFeedback' already exists", the next start
                    // failed). Let it finish (or fail) first, for a bounded time, then stop it.
                    await Promise.race([client.start().catch(() => undefined), delay(STARTING_WAIT_MS)]);
                }
                await client.stop(2000);
            } catch (error) {
                traceWarn(`stopping the server: ${error instanceof Error ? error.message : String(error)}`);
            }
        }
    }

    async stop(): Promise<void> {
        await this.starting?.catch(() => undefined);
        await this.stopClient();
        this.setState('stopped', 'The server was stopped.');
    }

    private running(): LanguageClient {
        if (this.client === undefined || this._state !== 'running') {
            throw new Error(this._problem ?? 'the heedful server is not running');
        }
        return this.client;
    }

    /** `heedful/setConstraints`; rejects with the server's message on a bad constraint. */
    async setConstraints(params: SetConstraintsParams): Promise<SetConstraintsResult> {
        const result = await this.running().sendRequest<SetConstraintsResult>(SET_CONSTRAINTS, toWire(params));
        this.refreshDiagnostics();
        return result;
    }

    /**
     * Pull the diagnostics of the open documents again. New constraints change the diagnostics
     * of a document whose text did not change, and the server does not ask a pulling client to
     * refresh then (it does after heedful.toml changes): without this, VS Code would keep showing
     * the old ones until the next edit. (The server answers a pull once its pending check is
     * done, so this gets the new result.)
     */
    refreshDiagnostics(): void {
        const feature = this.client?.getFeature(DocumentDiagnosticRequest.method);
        for (const document of vscode.workspace.textDocuments) {
            const provider = feature?.getProvider(document);
            if (provider !== undefined) {
                provider.onDidChangeDiagnosticsEmitter.fire(); // re-pulls every open document
                return;
            }
        }
    }

    /** `heedful/assistantEdit`: the next change of the document is an assistant edit. */
    async assistantEdit(params: AssistantEditParams): Promise<void> {
        await this.running().sendNotification(ASSISTANT_EDIT, params);
    }

    /** A notification when the server runs, else nothing: the study's (features/studySession.ts). */
    async notify(method: string, params: object): Promise<void> {
        if (this.client !== undefined && this._state === 'running') {
            await this.client.sendNotification(method, params);
        }
    }

    /** Tell the server its settings changed (it pulls them with `workspace/configuration`). */
    async configurationChanged(): Promise<void> {
        if (this.client !== undefined && this._state === 'running') {
            await this.client.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
        }
    }

    dispose(): void {
        void this.stop();
        this.stateEmitter.dispose();
        this.statusEmitter.dispose();
        this.failureEmitter.dispose();
    }
}

export function describeProbe(interpreter: Interpreter, result: Probe): string {
    const command = interpreter.command.join(' ');
    switch (result.kind) {
        case 'ok':
            return `heedful ${result.version} is installed in ${result.executable}.`;
        case 'no-interpreter':
            return `The Python interpreter "${command}" could not be started (${result.detail}).`;
        case 'old-python':
            return `heedful needs Python 3.11 or newer; ${result.executable} is Python ${result.python}.`;
        case 'no-heedful':
            return `heedful is not installed in ${result.executable} (Python ${result.python}` +
                (interpreter.command.length > 1 ? `, run as "${command}").` : ').');
        case 'broken':
            return `heedful cannot be imported with "${command}": ${result.detail}`;
    }
}

/** `channel`, with every `append` (the language client writes the server's stderr so) also
 * handed to `tap`; everything else goes to the channel unchanged. */
function tapAppend(channel: vscode.LogOutputChannel, tap: (text: string) => void): vscode.LogOutputChannel {
    return new Proxy(channel, {
        get(target, property) {
            if (property === 'append') {
                return (value: string) => {
                    tap(value);
                    target.append(value);
                };
            }
            const value: unknown = Reflect.get(target, property, target);
            return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
    });
}

/** How long a restart waits for a start under way before it stops that client anyway. */
const STARTING_WAIT_MS = 15_000;

function delay(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}
