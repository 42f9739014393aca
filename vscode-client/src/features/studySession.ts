// "heedful: Start Study Session": asks the participant for the study, participant, session and
// condition ids and for consent (file paths hashed unless allowed), switches the study
// recording on, and tells the server (`heedful/studySession`, again after every server start).
// While recording, every change of a checked document is reported with its origin
// (`heedful/editOrigin`, inferred where VS Code does not say: core/study.ts has the rules).
// Both go only to the local server, which writes them into the workspace's .heedful/study.jsonl.

import * as vscode from 'vscode';
import { LANGUAGES } from '../common/constants';
import { traceError } from '../common/log/logging';
import { HeedfulClient } from '../common/server';
import { getSettings, projectRoot } from '../common/settings';
import { EditOriginParams, StudySessionParams, inferOrigin, insertedEnd, validateSessionIds } from '../core/study';
import { toggleStudyRecording } from './studyRecording';
import { WorkState } from './workState';

import { EDIT_ORIGIN, STUDY_SESSION } from '../common/protocol';

export { EDIT_ORIGIN, STUDY_SESSION };
const STATE_KEY = 'heedful.studySession';

type StartArgs = Partial<StudySessionParams> & { confirmed?: boolean };

export class StudySession {
    /** per document: where its last change ended, and when (core/study.ts: a burst of keys) */
    private readonly lastChange = new Map<string, { end: { line: number; character: number }; at: number }>();

    constructor(private readonly context: vscode.ExtensionContext, private readonly client: HeedfulClient,
                private readonly work: WorkState) {}

    get current(): StudySessionParams | undefined {
        return this.context.workspaceState.get<StudySessionParams>(STATE_KEY);
    }

    register(): vscode.Disposable[] {
        return [
            vscode.commands.registerCommand('heedful.startStudySession', (args?: StartArgs) => this.start(args)),
            this.client.onDidChangeState((state) => {
                if (state === 'running') {
                    void this.sendSession(); // a new server process: the session goes on
                }
            }),
            vscode.workspace.onDidChangeTextDocument((event) => void this.reportOrigin(event)),
            vscode.workspace.onDidChangeConfiguration(async (event) => {
                const folder = projectRoot();
                if (event.affectsConfiguration('heedful.studyRecording') && folder && !getSettings(folder.uri).studyRecording) {
                    await this.context.workspaceState.update(STATE_KEY, undefined); // stopped: the session ended
                }
            }),
        ];
    }

    /** The ids (prompted unless given), the consent (asked unless `confirmed`), then recording. */
    async start(args?: StartArgs): Promise<StudySessionParams | undefined> {
        if (projectRoot() === undefined) {
            void vscode.window.showErrorMessage('heedful: open a folder first: the study log is written inside the workspace');
            return undefined;
        }
        const ids = { study: args?.study, participant: args?.participant, session: args?.session, condition: args?.condition };
        for (const key of ['study', 'participant', 'session', 'condition'] as const) {
            if (ids[key] === undefined) {
                const value = await vscode.window.showInputBox({
                    title: 'heedful: Start Study Session',
                    prompt: key === 'condition' ? 'The condition of this session (optional), e.g. "with-heedful"' : `The ${key} id`,
                    value: key === 'study' ? this.current?.study : undefined,
                    ignoreFocusOut: true,
                    validateInput: (text) => key === 'condition'
                        ? validateSessionIds({ study: 'x', participant: 'x', session: 'x', condition: text })
                        : validateSessionIds({ study: 'x', participant: 'x', session: 'x', [key]: text }),
                });
                if (value === undefined) {
                    return undefined;
                }
                ids[key] = value;
            }
        }
        const problem = validateSessionIds(ids);
        if (problem !== undefined) {
            void vscode.window.showErrorMessage(`heedful: ${problem}`);
            return undefined;
        }
        let recordPaths = args?.recordPaths ?? false;
        if (!args?.confirmed) {
            const fullText = getSettings(projectRoot()?.uri).studyFullText;
            const choice = await vscode.window.showInformationMessage(
                `Start study session ${ids.session} of participant ${ids.participant} (${ids.study})?`,
                {
                    modal: true,
                    detail: 'heedful appends every edit (and where it came from: typing, paste, undo, a completion, another ' +
                        'extension, a heedful assistant command), every diagnostic and every assistant edit report to ' +
                        '.heedful/study.jsonl in this workspace, with timings. File paths are hashed unless you allow them. ' +
                        (fullText ? 'Document texts are recorded in full (heedful.studyFullText is on). '
                            : 'Document texts and instructions are stored as hashes only. ') +
                        'Nothing leaves this workspace; "heedful: Start/Stop Study Recording" stops it.',
                },
                'Start Session', 'Start Session, Record File Paths');
            if (choice === undefined) {
                return undefined;
            }
            recordPaths = choice === 'Start Session, Record File Paths';
        }
        const session: StudySessionParams = {
            study: ids.study!.trim(), participant: ids.participant!.trim(), session: ids.session!.trim(),
            condition: ids.condition?.trim() || undefined, recordPaths, consentedAt: new Date().toISOString(),
        };
        await this.context.workspaceState.update(STATE_KEY, session);
        await this.sendSession();
        if (!getSettings(projectRoot()?.uri).studyRecording) {
            await toggleStudyRecording({ start: true, confirmed: true });
        }
        void vscode.window.setStatusBarMessage(`$(record) heedful: study session ${session.participant}/${session.session} started`, 4000);
        return session;
    }

    private async sendSession(): Promise<void> {
        const session = this.current;
        if (session === undefined || this.client.state !== 'running') {
            return;
        }
        try {
            await this.client.notify(STUDY_SESSION, session);
        } catch (error) {
            traceError('sending the study session to the server', error);
        }
    }

    private async reportOrigin(event: vscode.TextDocumentChangeEvent): Promise<void> {
        const document = event.document;
        if (event.contentChanges.length === 0 || document.uri.scheme !== 'file' || !(document.languageId in LANGUAGES) ||
            !getSettings(projectRoot()?.uri).studyRecording || this.client.state !== 'running') {
            return;
        }
        const uri = document.uri.toString();
        const version = document.version; // read now: the next change may come while the clipboard is read
        const editor = vscode.window.visibleTextEditors.find((e) => e.document === document);
        const changes = event.contentChanges.map((c) => ({ start: c.range.start, end: c.range.end, text: c.text }));
        const selections = editor?.selections.map((s) => ({ start: s.start, end: s.end }));
        const last = this.lastChange.get(uri);
        const now = Date.now();
        const previous = last === undefined ? undefined : { end: last.end, msAgo: now - last.at };
        if (changes.length === 1) {
            this.lastChange.set(uri, { end: insertedEnd(changes[0]), at: now });
        } else {
            this.lastChange.delete(uri);
        }
        const clipboard = editor !== undefined && changes.some((c) => c.text.length > 1)
            ? await vscode.env.clipboard.readText().then((text) => text, () => undefined) : undefined;
        const origin = inferOrigin({
            reason: event.reason, armed: this.work.isArmed(uri), changes, clipboard, selections, previous,
        });
        const params: EditOriginParams = { uri, version, ...origin };
        try {
            await this.client.notify(EDIT_ORIGIN, params);
        } catch (error) {
            traceError('sending an edit origin to the server', error);
        }
    }
}
