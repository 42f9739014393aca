// Reading the `heedful.*` settings for the workspace folder the server runs for.

import * as vscode from 'vscode';
import { CONFIG_SECTION } from './constants';
import { ExtensionSettings, readSettings } from '../core/settings';

export function getSettings(scope?: vscode.ConfigurationScope): ExtensionSettings {
    const config = vscode.workspace.getConfiguration(CONFIG_SECTION, scope);
    return readSettings((key) => config.get(key));
}

/** The folder the server runs for: the first workspace folder (heedful.toml is read from its root). */
export function projectRoot(): vscode.WorkspaceFolder | undefined {
    return vscode.workspace.workspaceFolders?.[0];
}

export function affects(event: vscode.ConfigurationChangeEvent, keys: readonly string[]): boolean {
    return keys.some((key) => event.affectsConfiguration(`${CONFIG_SECTION}.${key}`));
}
