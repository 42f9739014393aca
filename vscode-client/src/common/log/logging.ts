// One output channel, "heedful", for the extension's log, the server's stderr and (with
// `heedful.trace.server`) the LSP trace, as in Microsoft's Python-tools extension template.

import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

export function createLogChannel(name: string): vscode.LogOutputChannel {
    channel = vscode.window.createOutputChannel(name, { log: true });
    return channel;
}

export function traceLog(message: string): void {
    channel?.appendLine(message);
}

export function traceInfo(message: string): void {
    channel?.info(message);
}

export function traceWarn(message: string): void {
    channel?.warn(message);
}

export function traceError(message: string, error?: unknown): void {
    channel?.error(error === undefined ? message : `${message}: ${error instanceof Error ? error.message : String(error)}`);
}

export function traceVerbose(message: string): void {
    channel?.debug(message);
}
