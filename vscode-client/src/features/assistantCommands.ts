// Commands for working with a coding assistant:
//
// - Set Constraints from Selection/Instruction: a selected TOML snippet (`[[constraint]]`
//   tables, as in heedful.toml) is sent as it is; otherwise pick a constraint type (the selected
//   text, if any, is the instruction and becomes the label), type its parameters, and choose
//   the file(s) it applies to. Sent with `heedful/setConstraints`.
// - Mark Next Edit as Assistant Edit: `heedful/assistantEdit` for the active file, the selection
//   as the scope, with the instruction (optional).
// - Copy Feedback for the Assistant: the server's ready-made messages for the heedful problems
//   at the cursor (or all in the file), copied to the clipboard.
//
// Each also takes its parameters as an argument, without prompts, so an assistant integration
// can call it: `vscode.commands.executeCommand('heedful.markAssistantEdit', {uri, scope, ...})`.

import * as path from 'path';
import * as vscode from 'vscode';
import { ASSISTANT_EDIT_TIMEOUT_MS, COPY_FEEDBACK, DIAGNOSTIC_SOURCE, LANGUAGES } from '../common/constants';
import { HeedfulClient } from '../common/server';
import { constraintCatalogue } from '../common/python';
import { traceError, traceInfo } from '../common/log/logging';
import {
    ConstraintGroup, ConstraintItem, ConstraintType, describeParams, paramsTemplate, parseConstraintSnippet, parseParams,
} from '../core/constraints';
import type { AssistantEditParams } from '../common/protocol';
import { SetConstraintsParams } from '../core/conversation';
import { WorkState } from './workState';

export class AssistantCommands {
    private armedMessage: vscode.Disposable | undefined;

    constructor(private readonly client: HeedfulClient, private readonly work: WorkState) {
        // the "next edit is an assistant edit" message goes once the edit's report is in
        work.onDidChange((uri) => {
            if (uri !== undefined && this.armedMessage !== undefined && !work.isArmed(uri)) {
                this.armedMessage.dispose();
                this.armedMessage = undefined;
            }
        });
    }

    register(): vscode.Disposable[] {
        return [
            vscode.commands.registerCommand('heedful.setConstraints', (args?: Partial<SetConstraintsParams>) => this.setConstraints(args)),
            vscode.commands.registerCommand('heedful.clearConstraints', () => this.clearConstraints()),
            vscode.commands.registerCommand('heedful.markAssistantEdit', (args?: Record<string, unknown>) => this.markAssistantEdit(args)),
            vscode.commands.registerCommand('heedful.copyFeedbackForFile', () => this.copyFeedback()),
        ];
    }

    // -- heedful/setConstraints -------------------------------------------------------------------

    async setConstraints(args?: Partial<SetConstraintsParams>): Promise<{ constraints: number } | undefined> {
        if (args && Array.isArray(args.constraints)) {
            // called by an integration: no prompts
            return this.send({ uri: args.uri, glob: args.glob, mode: args.mode ?? 'replace', constraints: args.constraints });
        }
        const editor = vscode.window.activeTextEditor;
        const selected = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : '';
        const parsed = selected ? parseConstraintSnippet(selected) : { kind: 'instruction' as const, text: '' };
        if (parsed.kind === 'invalid') {
            void vscode.window.showErrorMessage(`heedful: the selection is not a constraint snippet: ${parsed.error}`);
            return undefined;
        }
        let groups: ConstraintGroup[];
        let instruction: string | undefined;
        if (parsed.kind === 'constraints') {
            groups = parsed.groups;
        } else {
            instruction = parsed.text || undefined;
            const item = await this.constraintFromPicker(editor?.document, instruction);
            if (item === undefined) {
                return undefined;
            }
            groups = [{ constraints: [item] }];
        }
        const target = await this.pickTarget(editor?.document, groups);
        if (target === undefined) {
            return undefined;
        }
        const turn = this.work.conversation.instructionTurn();
        let total = 0;
        for (const group of groups) {
            const constraints = group.constraints.map((item) => ({ turn, ...item }));
            const result = await this.send({
                uri: group.glob === undefined ? target.uri : undefined,
                glob: group.glob ?? target.glob,
                mode: target.mode,
                constraints,
            });
            if (result === undefined) {
                return undefined;
            }
            total += result.constraints;
        }
        const where = target.uri ? path.basename(vscode.Uri.parse(target.uri).fsPath) : target.glob ? `files matching ${target.glob}` : 'every file';
        void vscode.window.setStatusBarMessage(`$(checklist) heedful: ${total} constraint${total === 1 ? '' : 's'} of turn ${turn} in force for ${where}`, 5000);
        return { constraints: total };
    }

    private async send(params: SetConstraintsParams): Promise<{ constraints: number } | undefined> {
        try {
            const result = await this.client.setConstraints(params);
            this.work.conversation.apply(params);
            this.work.changed();
            traceInfo(`setConstraints: ${JSON.stringify(params)} -> ${JSON.stringify(result)}`);
            return result;
        } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            traceError('heedful/setConstraints failed', error);
            void vscode.window.showErrorMessage(`heedful: the server refused the constraints: ${message}`);
            return undefined;
        }
    }

    /** Pick a type (those for the document's language first), then its parameters. */
    private async constraintFromPicker(document: vscode.TextDocument | undefined, instruction: string | undefined): Promise<ConstraintItem | undefined> {
        const interpreter = this.client.interpreter;
        if (interpreter === undefined || this.client.state !== 'running') {
            void vscode.window.showErrorMessage(`heedful: ${this.client.problem ?? 'the server is not running'}`);
            return undefined;
        }
        let catalogue: ConstraintType[];
        try {
            catalogue = await constraintCatalogue(interpreter);
        } catch (error) {
            void vscode.window.showErrorMessage(`heedful: cannot list the constraint types: ${error instanceof Error ? error.message : String(error)}`);
            return undefined;
        }
        const language = document ? LANGUAGES[document.languageId] : undefined;
        const applicable = catalogue.filter((type) => language === undefined || type.languages.includes(language));
        type Item = vscode.QuickPickItem & { type?: ConstraintType };
        const items: Item[] = [];
        let category = '';
        for (const type of [...applicable].sort((a, b) => a.category.localeCompare(b.category) || a.id.localeCompare(b.id))) {
            if (type.category !== category) {
                category = type.category;
                items.push({ label: category, kind: vscode.QuickPickItemKind.Separator });
            }
            items.push({ label: type.id, description: type.description, detail: describeParams(type), type });
        }
        const picked = await vscode.window.showQuickPick(items, {
            title: instruction ? `heedful: which constraint does "${shorten(instruction)}" ask for?` : 'heedful: set a constraint',
            placeHolder: 'Type to filter the constraint types (id or description)',
            matchOnDescription: true,
            matchOnDetail: false,
        });
        const type = picked?.type;
        if (type === undefined) {
            return undefined;
        }
        let params: Record<string, unknown> = {};
        if (type.params.length > 0) {
            const text = await vscode.window.showInputBox({
                title: `heedful: parameters of ${type.id}`,
                prompt: `${describeParams(type)}. TOML values, separated by commas; add label = "..." to name it.`,
                value: paramsTemplate(type),
                ignoreFocusOut: true,
                validateInput: (value) => {
                    const result = parseParams(value, type);
                    return result.ok ? undefined : result.error;
                },
            });
            if (text === undefined) {
                return undefined;
            }
            const result = parseParams(text, type);
            if (!result.ok) {
                return undefined;
            }
            params = result.params;
        }
        const item: ConstraintItem = { type: type.id, ...params };
        if (instruction !== undefined && item.label === undefined) {
            item.label = instruction;
        }
        return item;
    }

    private async pickTarget(document: vscode.TextDocument | undefined, groups: ConstraintGroup[]):
        Promise<{ uri?: string; glob?: string; mode: 'replace' | 'append' } | undefined> {
        if (groups.every((group) => group.glob !== undefined)) {
            return { mode: 'append' }; // [[files]] snippets say where themselves
        }
        type Item = vscode.QuickPickItem & { target: 'file' | 'all' | 'glob' | 'replace' };
        const name = document ? path.basename(document.uri.fsPath || document.uri.path) : undefined;
        const items: Item[] = [];
        if (document && name) {
            items.push({ label: `Add to ${name}`, description: 'this file only', target: 'file' });
        }
        items.push({ label: 'Add for every file', description: 'every document the server checks', target: 'all' });
        items.push({ label: 'Add for files matching a glob…', description: 'e.g. src/**/*.py', target: 'glob' });
        if (document && name) {
            items.push({ label: `Replace the conversation's constraints of ${name}`, target: 'replace' });
        }
        const picked = await vscode.window.showQuickPick(items, { title: 'heedful: where do the constraints apply?' });
        if (picked === undefined) {
            return undefined;
        }
        switch (picked.target) {
            case 'file':
                return { uri: document!.uri.toString(), mode: 'append' };
            case 'replace':
                return { uri: document!.uri.toString(), mode: 'replace' };
            case 'all':
                return { mode: 'append' };
            case 'glob': {
                const glob = await vscode.window.showInputBox({
                    title: 'heedful: files the constraints apply to',
                    prompt: 'A glob matched against the path relative to the workspace root, or the file name',
                    value: document ? `*${path.extname(document.uri.fsPath)}` : '*.py',
                    validateInput: (value) => (value.trim() ? undefined : 'Type a glob such as src/*.py'),
                });
                return glob === undefined ? undefined : { glob: glob.trim(), mode: 'append' };
            }
        }
    }

    async clearConstraints(): Promise<void> {
        const requests = this.work.conversation.requests().map((request) => ({ ...request, constraints: [] }));
        if (requests.length === 0) {
            void vscode.window.setStatusBarMessage('heedful: the conversation has no constraints', 4000);
            return;
        }
        for (const request of requests) {
            if (await this.send(request) === undefined) {
                return;
            }
        }
        this.work.conversation.clear();
        this.work.changed();
        void vscode.window.setStatusBarMessage('$(clear-all) heedful: the conversation\'s constraints are cleared', 4000);
    }

    // -- heedful/assistantEdit ----------------------------------------------------------------------

    async markAssistantEdit(args?: Record<string, unknown>): Promise<boolean> {
        const editor = vscode.window.activeTextEditor;
        let params: AssistantEditParams;
        if (args && typeof args === 'object' && !(args instanceof vscode.Uri)) {
            // called by an integration: `uri` (default: the active file) and the server's other keys
            const uri = typeof args.uri === 'string' ? args.uri : editor?.document.uri.toString();
            if (uri === undefined) {
                return false;
            }
            // the server validates the integration's keys (InvalidParams names a bad one)
            params = { turn: this.work.conversation.assistantEditTurn(), ...(args as AssistantEditParams), uri };
        } else {
            if (editor === undefined) {
                void vscode.window.showErrorMessage('heedful: open the file the assistant is about to edit first');
                return false;
            }
            const instruction = await vscode.window.showInputBox({
                title: 'heedful: the next edit of this file is an assistant edit',
                prompt: editor.selection.isEmpty
                    ? 'The instruction the assistant was given (optional). No selection: heedful derives the scope.'
                    : `The instruction the assistant was given (optional). Scope: lines ${editor.selection.start.line + 1}–${editor.selection.end.line + 1}.`,
                placeHolder: 'e.g. make save_user add three numbers (Enter to skip)',
            });
            if (instruction === undefined) {
                return false;
            }
            params = { uri: editor.document.uri.toString(), turn: this.work.conversation.assistantEditTurn() };
            if (!editor.selection.isEmpty) {
                const { start, end } = editor.selection;
                params.scope = { start: { line: start.line, character: start.character }, end: { line: end.line, character: end.character } };
            }
            if (instruction.trim()) {
                params.instruction = instruction.trim();
            }
        }
        try {
            await this.client.assistantEdit(params);
        } catch (error) {
            void vscode.window.showErrorMessage(`heedful: ${error instanceof Error ? error.message : String(error)}`);
            return false;
        }
        traceInfo(`assistantEdit: ${JSON.stringify(params)}`);
        this.work.arm(params.uri as string);
        this.armedMessage?.dispose();
        this.armedMessage = vscode.window.setStatusBarMessage(`$(hubot) heedful: the next edit of ${path.basename(vscode.Uri.parse(params.uri as string).fsPath)} is an assistant edit (turn ${params.turn})`, ASSISTANT_EDIT_TIMEOUT_MS);
        return true;
    }

    // -- feedback --------------------------------------------------------------------------------

    /** The server's feedback for the heedful problems at the cursor, else all of the file's. */
    async copyFeedback(): Promise<string | undefined> {
        const editor = vscode.window.activeTextEditor;
        if (editor === undefined) {
            return undefined;
        }
        const uri = editor.document.uri;
        const all = vscode.languages.getDiagnostics(uri).filter((d) => d.source === DIAGNOSTIC_SOURCE);
        const atCursor = all.filter((d) => d.range.contains(editor.selection.active));
        const diagnostics = atCursor.length > 0 ? atCursor : all;
        if (diagnostics.length === 0) {
            void vscode.window.showInformationMessage('heedful: no constraint fails in this file: no feedback to give');
            return undefined;
        }
        const texts: string[] = [];
        for (const diagnostic of diagnostics) {
            const actions = await vscode.commands.executeCommand<(vscode.Command | vscode.CodeAction)[]>(
                'vscode.executeCodeActionProvider', uri, diagnostic.range);
            for (const action of actions ?? []) {
                const command = 'command' in action && typeof action.command === 'string' ? action as vscode.Command
                    : (action as vscode.CodeAction).command;
                const text = command?.command === COPY_FEEDBACK ? command.arguments?.[0] : undefined;
                if (typeof text === 'string' && !texts.includes(text)) {
                    texts.push(text);
                }
            }
        }
        if (texts.length === 0) {
            texts.push(...new Set(diagnostics.map((d) => d.message)));
        }
        const feedback = texts.join('\n\n');
        await vscode.env.clipboard.writeText(feedback);
        void vscode.window.showInformationMessage(
            `heedful: feedback on ${texts.length} constraint${texts.length === 1 ? '' : 's'} copied for the assistant`);
        return feedback;
    }
}

function shorten(text: string): string {
    const line = text.replace(/\s+/g, ' ').trim();
    return line.length > 60 ? `${line.slice(0, 57)}…` : line;
}
