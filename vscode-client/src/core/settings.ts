// The extension's settings (section `heedful`) and what the server is sent of them.

/** The `heedful.*` settings, as read from the configuration. */
export interface ExtensionSettings {
    interpreter: string[];
    debounceMs: number;
    constraintFiles: string[];
    studyRecording: boolean;
    studyFullText: boolean;
    docsUrl: string;
    logLevel: 'debug' | 'info' | 'warning' | 'error';
    traceServer: 'off' | 'messages' | 'verbose';
    installCommand: string[];
}

export const DEFAULT_SETTINGS: ExtensionSettings = {
    interpreter: [],
    debounceMs: 150,
    constraintFiles: ['heedful.toml'],
    studyRecording: false,
    studyFullText: false,
    docsUrl: '',
    logLevel: 'warning',
    traceServer: 'off',
    installCommand: [],
};

/** The server's settings (README, "The language server"), by their server names. */
export interface ServerSettings {
    debounce_ms: number;
    constraint_files: string[];
    study_recording: boolean;
    study_full_text: boolean;
    docs_url?: string;
}

/**
 * What the server gets as `initializationOptions` and as the answer to `workspace/configuration`
 * for section `heedful`: only the keys it knows (it reports any other key as unknown), under
 * its own names, and `docs_url` only when set (empty means the server's default).
 */
export function serverSettings(settings: ExtensionSettings): ServerSettings {
    const out: ServerSettings = {
        debounce_ms: Math.max(0, Math.round(settings.debounceMs)),
        constraint_files: settings.constraintFiles.length > 0 ? [...settings.constraintFiles] : ['heedful.toml'],
        study_recording: settings.studyRecording,
        study_full_text: settings.studyRecording && settings.studyFullText,
    };
    if (settings.docsUrl.trim().length > 0) {
        out.docs_url = settings.docsUrl.trim();
    }
    return out;
}

type Reader = (key: string) => unknown;

/** The settings from a `get(key)` reader (VS Code's WorkspaceConfiguration), invalid values
 * replaced by defaults. */
export function readSettings(get: Reader): ExtensionSettings {
    const strings = (value: unknown, fallback: string[]): string[] =>
        Array.isArray(value) && value.every((v) => typeof v === 'string') ? [...value] : fallback;
    const oneOf = <T extends string>(value: unknown, options: readonly T[], fallback: T): T =>
        typeof value === 'string' && (options as readonly string[]).includes(value) ? (value as T) : fallback;
    const debounce = get('debounceMs');
    return {
        interpreter: typeof get('interpreter') === 'string' ? [get('interpreter') as string] : strings(get('interpreter'), []),
        debounceMs: typeof debounce === 'number' && debounce >= 0 ? debounce : DEFAULT_SETTINGS.debounceMs,
        constraintFiles: strings(get('constraintFiles'), DEFAULT_SETTINGS.constraintFiles),
        studyRecording: get('studyRecording') === true,
        studyFullText: get('studyFullText') === true,
        docsUrl: typeof get('docsUrl') === 'string' ? (get('docsUrl') as string) : '',
        logLevel: oneOf(get('logLevel'), ['debug', 'info', 'warning', 'error'] as const, 'warning'),
        traceServer: oneOf(get('trace.server'), ['off', 'messages', 'verbose'] as const, 'off'),
        installCommand: strings(get('installCommand'), []),
    };
}

/** Settings whose change needs a new server process (the rest reach it as configuration). */
export const RESTART_SETTINGS = ['interpreter', 'logLevel'] as const;
