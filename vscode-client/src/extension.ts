// The heedful extension: starts `heedful serve` with the chosen Python interpreter and makes
// constraint diagnostics part of working with a coding assistant (status bar, the constraints
// view, commands that tell the server about the conversation).

import * as vscode from 'vscode';
import { SERVER_NAME } from './common/constants';
import { createLogChannel, traceError, traceInfo } from './common/log/logging';
import { onDidChangePythonInterpreter } from './common/python';
import { HeedfulClient } from './common/server';
import { affects, getSettings } from './common/settings';
import { RESTART_SETTINGS } from './core/settings';
import { AssistantCommands } from './features/assistantCommands';
import { ConstraintsView } from './features/constraintsView';
import { InstallFix, selectInterpreter } from './features/installFix';
import { StatusBar } from './features/statusBar';
import { toggleStudyRecording } from './features/studyRecording';
import { StudySession } from './features/studySession';
import { WorkState } from './features/workState';

let client: HeedfulClient | undefined;

/** What `activate` returns: for integrations (an assistant extension) and the tests. */
export interface HeedfulApi {
    setConstraints: AssistantCommands['setConstraints'];
    markAssistantEdit: AssistantCommands['markAssistantEdit'];
    status(uri: string): unknown;
}

export async function activate(context: vscode.ExtensionContext): Promise<HeedfulApi> {
    const output = createLogChannel(SERVER_NAME);
    context.subscriptions.push(output);
    traceInfo(`heedful extension ${context.extension.packageJSON.version} in ${vscode.env.appName} ${vscode.version}`);

    client = new HeedfulClient(output);
    const heedful = client;
    const work = new WorkState();
    const installFix = new InstallFix((reason) => heedful.restart(reason), output);
    const assistant = new AssistantCommands(heedful, work);
    const view = new ConstraintsView(heedful, work);
    context.subscriptions.push(heedful, work, installFix, view, new StatusBar(heedful, work));

    let hadRun = false;
    context.subscriptions.push(
        heedful.onStatus((status) => work.recordStatus(status)),
        vscode.workspace.onDidCloseTextDocument((document) => work.forget(document.uri.toString())),
        heedful.onStartFailure((failure) => void installFix.offer(failure)),
        heedful.onDidChangeState((state) => {
            if (state === 'starting') {
                work.reset();
            } else if (state === 'running') {
                view.invalidate();
                if (hadRun) {
                    void resendConversation(heedful, work);
                }
                hadRun = true;
            }
        }),
        ...assistant.register(),
        ...new StudySession(context, heedful, work).register(),
        vscode.commands.registerCommand('heedful.restart', () => heedful.restart('restart (asked)')),
        vscode.commands.registerCommand('heedful.showOutput', () => output.show()),
        vscode.commands.registerCommand('heedful.selectInterpreter', () => selectInterpreter()),
        vscode.commands.registerCommand('heedful.toggleStudyRecording', (args?: { start?: boolean; confirmed?: boolean }) => toggleStudyRecording(args)),
        vscode.commands.registerCommand('heedful.refreshConstraints', () => view.invalidate()),
        vscode.commands.registerCommand('heedful.revealConstraint', async (uri: string, line: number) => {
            const editor = await vscode.window.showTextDocument(vscode.Uri.parse(uri));
            const position = new vscode.Position(line, 0);
            editor.selection = new vscode.Selection(position, position);
            editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
        }),
        vscode.workspace.onDidChangeConfiguration(async (event) => {
            if (!event.affectsConfiguration('heedful')) {
                return;
            }
            if (affects(event, RESTART_SETTINGS) || affects(event, ['constraintFiles'])) {
                // a new interpreter or log level needs a new process; new spec files a new selector
                await heedful.restart('settings changed');
            } else {
                await heedful.configurationChanged();
            }
        }),
    );

    const pythonListener = await onDidChangePythonInterpreter(() => {
        if (getSettings().interpreter.length === 0) {
            void heedful.restart('the Python extension\'s interpreter changed');
        }
    });
    if (pythonListener) {
        context.subscriptions.push(pythonListener);
    }

    await heedful.restart('start');
    return {
        setConstraints: (args) => assistant.setConstraints(args),
        markAssistantEdit: (args) => assistant.markAssistantEdit(args),
        status: (uri) => work.statuses.get(uri),
    };
}

/** A restarted server has lost the conversation's constraints: send them again. */
async function resendConversation(heedful: HeedfulClient, work: WorkState): Promise<void> {
    for (const request of work.conversation.requests()) {
        try {
            await heedful.setConstraints(request);
        } catch (error) {
            traceError('sending the conversation\'s constraints to the restarted server', error);
        }
    }
}

export async function deactivate(): Promise<void> {
    await client?.stop();
}
