// Start/stop the developer-study recording: the `heedful.studyRecording` workspace setting,
// which the server reads (it then appends to `.heedful/study.jsonl` in the workspace). Starting
// asks for consent first, saying what is recorded.

import * as vscode from 'vscode';
import { getSettings, projectRoot } from '../common/settings';

export async function toggleStudyRecording(args?: { start?: boolean; confirmed?: boolean }): Promise<boolean> {
    const folder = projectRoot();
    if (folder === undefined) {
        void vscode.window.showErrorMessage('heedful: open a folder first: the recording is written inside the workspace');
        return false;
    }
    const recording = getSettings(folder.uri).studyRecording;
    const start = args?.start ?? !recording;
    const config = vscode.workspace.getConfiguration('heedful', folder.uri);
    if (!start) {
        await config.update('studyRecording', false, vscode.ConfigurationTarget.Workspace);
        void vscode.window.setStatusBarMessage('$(debug-stop) heedful: study recording stopped', 4000);
        return false;
    }
    if (!args?.confirmed) {
        const fullText = getSettings(folder.uri).studyFullText;
        const choice = await vscode.window.showInformationMessage(
            'Start the heedful study recording?',
            {
                modal: true,
                detail: 'Every edit (human or assistant), every assistant edit report and every diagnostic is appended to ' +
                    `.heedful/study.jsonl in ${folder.name}, with timings. Document texts are stored as hashes` +
                    (fullText ? ', and in full (heedful.studyFullText is on).' : ' only, unless heedful.studyFullText is on.') +
                    ' Nothing leaves this workspace.',
            },
            'Start Recording');
        if (choice !== 'Start Recording') {
            return false;
        }
    }
    await config.update('studyRecording', true, vscode.ConfigurationTarget.Workspace);
    void vscode.window.setStatusBarMessage('$(record) heedful: study recording started (.heedful/study.jsonl)', 4000);
    return true;
}
