// The "Constraints in Force" view: each open file heedful checks, with `satisfied/total`, and
// under it every constraint in force for it, passing or failing (see core/constraintRows.ts for
// where the rows come from).

import * as path from 'path';
import * as vscode from 'vscode';
import { DIAGNOSTIC_SOURCE } from '../common/constants';
import { HeedfulClient } from '../common/server';
import { constraintCatalogue, specVerdicts } from '../common/python';
import { getSettings, projectRoot } from '../common/settings';
import { traceError } from '../common/log/logging';
import { ConstraintDiagnostic, ConstraintRow, constraintRows, fileSummary, rowDescription, SpecVerdict } from '../core/constraintRows';
import { ConstraintType } from '../core/constraints';
import { WorkState } from './workState';

type Node = { kind: 'file'; uri: string } | { kind: 'row'; uri: string; row: ConstraintRow };

const ICONS: Record<ConstraintRow['state'], [string, string | undefined]> = {
    pass: ['pass', 'testing.iconPassed'],
    fail: ['warning', 'problemsWarningIcon.foreground'],
    regression: ['error', 'problemsErrorIcon.foreground'],
    error: ['question', undefined],
    'n/a': ['circle-slash', 'disabledForeground'],
    unknown: ['circle-outline', undefined],
};

export class ConstraintsView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
    private readonly changeEmitter = new vscode.EventEmitter<Node | undefined>();
    readonly onDidChangeTreeData = this.changeEmitter.event;
    private readonly disposables: vscode.Disposable[] = [];
    /** `heedful check` verdicts per file, until a spec file or the settings change. */
    private readonly specCache = new Map<string, Promise<SpecVerdict[]>>();
    private catalogue: Map<string, ConstraintType> | undefined;
    private refreshTimer: NodeJS.Timeout | undefined;
    private readonly view: vscode.TreeView<Node>;

    constructor(private readonly client: HeedfulClient, private readonly work: WorkState) {
        this.view = vscode.window.createTreeView('heedful.constraints', { treeDataProvider: this, showCollapseAll: true });
        const specWatcher = vscode.workspace.createFileSystemWatcher('**/*.toml');
        this.disposables.push(
            this.view,
            specWatcher,
            specWatcher.onDidChange(() => this.invalidate()),
            specWatcher.onDidCreate(() => this.invalidate()),
            specWatcher.onDidDelete(() => this.invalidate()),
            work.onDidChange(() => this.scheduleRefresh()),
            client.onDidChangeState(() => this.scheduleRefresh()),
            vscode.languages.onDidChangeDiagnostics(() => this.scheduleRefresh()),
            vscode.window.onDidChangeActiveTextEditor(() => this.scheduleRefresh()),
            vscode.workspace.onDidSaveTextDocument((document) => this.specCache.delete(document.uri.toString())),
            vscode.workspace.onDidChangeConfiguration((event) => {
                if (event.affectsConfiguration('heedful')) {
                    this.invalidate();
                }
            }),
        );
    }

    /** Forget the spec lists (a spec file or the interpreter changed) and redraw. */
    invalidate(): void {
        this.specCache.clear();
        this.catalogue = undefined;
        this.scheduleRefresh();
    }

    private scheduleRefresh(): void {
        if (this.refreshTimer !== undefined) {
            return;
        }
        this.refreshTimer = setTimeout(() => {
            this.refreshTimer = undefined;
            this.changeEmitter.fire(undefined);
        }, 150);
    }

    getTreeItem(node: Node): vscode.TreeItem {
        const uri = vscode.Uri.parse(node.uri);
        if (node.kind === 'file') {
            const status = this.work.statuses.get(node.uri);
            const active = vscode.window.activeTextEditor?.document.uri.toString() === node.uri;
            const item = new vscode.TreeItem(path.basename(uri.fsPath || uri.path),
                active ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
            item.id = `file:${node.uri}`;
            item.resourceUri = uri;
            item.description = fileSummary(status);
            const state = status === undefined ? 'unknown'
                : status.regressions > 0 ? 'regression' : status.satisfied < status.total ? 'fail' : 'pass';
            item.iconPath = icon(state);
            item.tooltip = `${vscode.workspace.asRelativePath(uri)}: ${fileSummary(status)}`;
            item.contextValue = 'heedful.file';
            item.command = { title: 'Open', command: 'vscode.open', arguments: [uri] };
            return item;
        }
        const row = node.row;
        const item = new vscode.TreeItem(row.label ?? row.type, vscode.TreeItemCollapsibleState.None);
        item.id = `row:${node.uri}:${row.key}`;
        item.description = rowDescription(row);
        item.iconPath = icon(row.state);
        const tooltip = new vscode.MarkdownString();
        tooltip.appendMarkdown(`**\`${row.type}\`**: ${row.state}`);
        if (row.violations > 0) {
            tooltip.appendMarkdown(` — ${row.violations} diagnostic${row.violations === 1 ? '' : 's'}`);
        }
        tooltip.appendMarkdown(`\n\nParameters: \`${JSON.stringify(row.params)}\``);
        tooltip.appendMarkdown(`\n\nFrom ${{ spec: 'the constraint spec (heedful.toml)', conversation: 'the conversation (Set Constraints)', server: 'the server' }[row.origin]}.`);
        item.tooltip = tooltip;
        item.contextValue = `heedful.constraint.${row.state}`;
        if (row.firstLine !== undefined) {
            item.command = { title: 'Go to the first violation', command: 'heedful.revealConstraint', arguments: [node.uri, row.firstLine] };
        }
        return item;
    }

    async getChildren(node?: Node): Promise<Node[]> {
        if (node === undefined) {
            const open = new Set(vscode.workspace.textDocuments.map((document) => document.uri.toString()));
            const active = vscode.window.activeTextEditor?.document.uri.toString();
            return [...this.work.statuses.keys()]
                .filter((uri) => open.has(uri))
                .sort((a, b) => (a === active ? -1 : b === active ? 1 : a.localeCompare(b)))
                .map((uri) => ({ kind: 'file', uri }));
        }
        if (node.kind === 'row') {
            return [];
        }
        return (await this.rows(node.uri)).map((row) => ({ kind: 'row', uri: node.uri, row }));
    }

    /** The rows of one file. */
    async rows(uriString: string): Promise<ConstraintRow[]> {
        const uri = vscode.Uri.parse(uriString);
        const root = projectRoot();
        const relative = root && uri.scheme === 'file' ? path.relative(root.uri.fsPath, uri.fsPath) : undefined;
        const diagnostics: ConstraintDiagnostic[] = vscode.languages.getDiagnostics(uri)
            .filter((d) => d.source === DIAGNOSTIC_SOURCE)
            .map((d) => {
                const data = (d as vscode.Diagnostic & { data?: { constraint?: ConstraintDiagnostic & { params?: Record<string, unknown> }; kind?: string } }).data;
                return {
                    type: data?.constraint?.type ?? String(typeof d.code === 'object' ? d.code.value : d.code ?? ''),
                    params: data?.constraint?.params,
                    label: data?.constraint?.label,
                    kind: data?.kind ?? 'violation',
                    line: d.range.start.line,
                };
            })
            .filter((d) => d.type !== 'spec');
        return constraintRows({
            status: this.work.statuses.get(uriString),
            specVerdicts: uri.scheme === 'file' ? await this.specFor(uri) : undefined,
            conversation: this.work.conversation.constraintsFor(uriString, relative),
            diagnostics,
            catalogue: await this.catalogueMap(),
        });
    }

    private specFor(uri: vscode.Uri): Promise<SpecVerdict[]> {
        const key = uri.toString();
        let cached = this.specCache.get(key);
        if (cached === undefined) {
            const interpreter = this.client.interpreter;
            const root = projectRoot();
            if (interpreter === undefined || root === undefined || this.client.state !== 'running') {
                return Promise.resolve([]);
            }
            const specs = getSettings(root.uri).constraintFiles.map((file) => path.resolve(root.uri.fsPath, file));
            cached = specVerdicts(interpreter, uri.fsPath, specs).catch((error) => {
                traceError(`listing the constraints of ${uri.fsPath}`, error);
                this.specCache.delete(key);
                return [];
            });
            this.specCache.set(key, cached);
        }
        return cached;
    }

    private async catalogueMap(): Promise<Map<string, ConstraintType> | undefined> {
        if (this.catalogue === undefined && this.client.interpreter !== undefined && this.client.state === 'running') {
            try {
                const types = await constraintCatalogue(this.client.interpreter);
                this.catalogue = new Map(types.map((type) => [type.id, type]));
            } catch (error) {
                traceError('loading the constraint catalogue', error);
            }
        }
        return this.catalogue;
    }

    dispose(): void {
        if (this.refreshTimer !== undefined) {
            clearTimeout(this.refreshTimer);
        }
        this.changeEmitter.dispose();
        this.disposables.forEach((d) => d.dispose());
    }
}

function icon(state: ConstraintRow['state']): vscode.ThemeIcon {
    const [id, color] = ICONS[state];
    return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
}
