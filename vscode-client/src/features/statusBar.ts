// The status bar item: `satisfied/total` and regressions for the active file (from
// `heedful/status`), the last assistant edit in its tooltip, and the server's state.

import * as vscode from 'vscode';
import { HeedfulClient } from '../common/server';
import { getSettings, projectRoot } from '../common/settings';
import { statusBarPresentation } from '../core/status';
import { WorkState } from './workState';

export class StatusBar implements vscode.Disposable {
    private readonly item: vscode.StatusBarItem;
    private readonly disposables: vscode.Disposable[] = [];

    constructor(private readonly client: HeedfulClient, private readonly work: WorkState) {
        this.item = vscode.window.createStatusBarItem('heedful.status', vscode.StatusBarAlignment.Left, 50);
        this.item.name = 'heedful';
        this.disposables.push(
            this.item,
            client.onDidChangeState(() => this.update()),
            work.onDidChange(() => this.update()),
            vscode.window.onDidChangeActiveTextEditor(() => this.update()),
            vscode.workspace.onDidChangeConfiguration((event) => {
                if (event.affectsConfiguration('heedful.studyRecording')) {
                    this.update();
                }
            }),
        );
        this.update();
        this.item.show();
    }

    update(): void {
        const uri = vscode.window.activeTextEditor?.document.uri.toString();
        const shown = statusBarPresentation({
            server: this.client.state,
            status: uri ? this.work.statuses.get(uri) : undefined,
            armed: uri ? this.work.isArmed(uri) : false,
            recording: getSettings(projectRoot()?.uri).studyRecording,
            problem: this.client.problem,
        });
        this.item.text = shown.text;
        const tooltip = new vscode.MarkdownString(shown.tooltip, true);
        tooltip.isTrusted = false;
        this.item.tooltip = tooltip;
        this.item.accessibilityInformation = { label: shown.text.replace(/\$\([^)]*\)\s*/g, '').trim() || 'heedful' };
        // only a regression (or a dead server) colours the item: failing constraints are the
        // everyday state while an assistant works, the icon says enough
        this.item.backgroundColor = shown.severity === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
        this.item.command = this.client.state === 'running' || this.client.state === 'starting'
            ? { title: 'Show the constraints in force', command: 'heedful.constraints.focus' }
            : { title: 'Show Output', command: 'heedful.showOutput' };
    }

    dispose(): void {
        this.disposables.forEach((d) => d.dispose());
    }
}
