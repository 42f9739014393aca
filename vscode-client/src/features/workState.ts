// What the extension knows about the work in progress: the server's last status per document,
// which documents expect an assistant edit, and the conversation's constraints and turn.

import * as vscode from 'vscode';
import { ASSISTANT_EDIT_TIMEOUT_MS } from '../common/constants';
import { Conversation } from '../core/conversation';
import { HeedfulStatus } from '../core/status';

export class WorkState implements vscode.Disposable {
    readonly statuses = new Map<string, HeedfulStatus>();
    readonly conversation = new Conversation();
    private readonly armed = new Map<string, NodeJS.Timeout>();
    private readonly changeEmitter = new vscode.EventEmitter<string | undefined>();
    /** Fires with the document's URI string, or undefined when everything may have changed. */
    readonly onDidChange = this.changeEmitter.event;

    recordStatus(status: HeedfulStatus): void {
        this.statuses.set(status.uri, status);
        if (status.edit !== undefined) {
            this.disarm(status.uri);
        }
        this.changeEmitter.fire(status.uri);
    }

    forget(uri: string): void {
        this.statuses.delete(uri);
        this.disarm(uri);
        this.changeEmitter.fire(uri);
    }

    /** The next edit of `uri` is an assistant edit (until its report arrives, or the server's
     * marker timeout passes). */
    arm(uri: string): void {
        this.disarm(uri);
        this.armed.set(uri, setTimeout(() => this.disarm(uri), ASSISTANT_EDIT_TIMEOUT_MS));
        this.changeEmitter.fire(uri);
    }

    isArmed(uri: string): boolean {
        return this.armed.has(uri);
    }

    private disarm(uri: string): void {
        const timer = this.armed.get(uri);
        if (timer !== undefined) {
            clearTimeout(timer);
            this.armed.delete(uri);
            this.changeEmitter.fire(uri);
        }
    }

    /** The server restarted: its statuses are gone (the conversation is sent to it again). */
    reset(): void {
        this.statuses.clear();
        [...this.armed.values()].forEach(clearTimeout);
        this.armed.clear();
        this.changeEmitter.fire(undefined);
    }

    changed(): void {
        this.changeEmitter.fire(undefined);
    }

    dispose(): void {
        [...this.armed.values()].forEach(clearTimeout);
        this.changeEmitter.dispose();
    }
}
