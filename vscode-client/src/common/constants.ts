// Names shared by the extension's parts (the same as in package.json and the server).

export const EXTENSION_ID = 'heedful.heedful';
export const SERVER_ID = 'heedful'; // the client id: `heedful.trace.server` applies to it
export const SERVER_NAME = 'heedful';
export const CONFIG_SECTION = 'heedful';
export const PYTHON_EXTENSION_ID = 'ms-python.python';

// the server's custom methods (README, "The language server"), and its command in its code
// actions: generated from the server's protocol.py (common/protocol.ts)
export { ASSISTANT_EDIT, COPY_FEEDBACK, SET_CONSTRAINTS, STATUS } from './protocol';
export const DIAGNOSTIC_SOURCE = 'heedful';

/** VS Code language ids heedful checks, and the language heedful calls each. */
export const LANGUAGES: Record<string, string> = {
    python: 'python',
    java: 'java',
    javascript: 'javascript',
    javascriptreact: 'javascript',
    typescript: 'typescript',
    go: 'go',
    rust: 'rust',
    c: 'c',
    cpp: 'cpp',
    csharp: 'csharp',
    kotlin: 'kotlin',
    php: 'php',
    ruby: 'ruby',
    scala: 'scala',
    swift: 'swift',
};

/** The server drops an announced assistant edit that no change follows within this time. */
export const ASSISTANT_EDIT_TIMEOUT_MS = 30_000;
