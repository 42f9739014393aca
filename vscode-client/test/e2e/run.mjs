// The extension end to end in a real VS Code: code-server serves VS Code 1.100 with the built
// .vsix installed, Playwright drives Debian's Chromium through it like a person would, and the
// observations go to a JSON file that tests/test_vscode_client.py checks.
//
//   node test/e2e/run.mjs --code-server BIN --vsix FILE --workspace DIR --python PY \
//       --out DIR [--timeout-ms 180000]
//
// The workspace is a copy of test/workspace (heedful.toml + app.py): it gets edited. DIR
// receives result.json, a screenshot per step (heedful-e2e.png: right after the assistant edit)
// and code-server.log.
// Every process started here is ended here: code-server (and with it the extension host and
// `heedful serve`) runs in a process group of its own that is killed at the end, and the
// browser is closed (Playwright kills it if this script dies).

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: args } = parseArgs({
    options: {
        'code-server': { type: 'string' },
        vsix: { type: 'string' },
        workspace: { type: 'string' },
        python: { type: 'string' },
        out: { type: 'string' },
        chromium: { type: 'string', default: '/usr/bin/chromium' },
        'timeout-ms': { type: 'string', default: '180000' },
    },
});
for (const required of ['code-server', 'vsix', 'workspace', 'python', 'out']) {
    if (!args[required]) {
        console.error(`run.mjs: --${required} is required`);
        process.exit(2);
    }
}

const out = path.resolve(args.out);
const workspace = path.resolve(args.workspace);
const scratch = path.join(out, 'code-server');
fs.mkdirSync(scratch, { recursive: true });
const result = { steps: [], observations: {}, timings: {}, screenshots: [] };
const started = Date.now();
const WAIT_MS = 30_000;

let codeServer;
let browser;
let page;
let shotCount = 0;

function log(message) {
    console.error(`[e2e ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll `probe` until `accept(value)`; the last value is in the error when it never is. */
async function waitFor(description, probe, accept, timeoutMs = WAIT_MS) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
        try {
            last = await probe();
            if (accept(last)) {
                return last;
            }
        } catch (error) {
            last = `(error: ${error.message})`;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}; last seen: ${JSON.stringify(last)}`);
        }
        await sleep(200);
    }
}

async function step(name, body) {
    const at = Date.now();
    log(`step: ${name}`);
    try {
        await body();
    } finally {
        result.steps.push(name);
        result.timings[name] = Date.now() - at;
    }
}

async function screenshot(name) {
    const file = path.join(out, `${String(++shotCount).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file });
    result.screenshots.push(file);
    return file;
}

function freePort() {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const { port } = server.address();
            server.close(() => resolve(port));
        });
    });
}

function run(command, commandArgs, options) {
    return new Promise((resolve, reject) => {
        const child = spawn(command, commandArgs, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (data) => { output += data; });
        child.stderr.on('data', (data) => { output += data; });
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} exited with ${code}: ${output}`))));
    });
}

// -- what the page shows ------------------------------------------------------------------------

/** The Problems panel's rows (aria labels: "Warning: <message> at line N column M ..."). */
const problems = () => page.$$eval('.markers-panel .monaco-list-row',
    (rows) => rows.map((row) => row.getAttribute('aria-label') ?? row.textContent ?? ''));

/** The heedful status bar item (its id is <extension id>.<item id>). */
const statusItem = () => page.$eval('[id="heedful.heedful.heedful.status"]', (item) => ({
    text: (item.textContent ?? '').trim(),
    icons: [...item.querySelectorAll('.codicon')].map((icon) => [...icon.classList].find((c) => c.startsWith('codicon-')) ?? ''),
    label: item.getAttribute('aria-label') ?? '',
}));

const editorText = () => page.$eval('.monaco-editor .view-lines',
    (lines) => [...lines.querySelectorAll('.view-line')]
        .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
        .map((line) => line.textContent.replace(/\u00a0/g, ' ')).join('\n'));

const notifications = () => page.$$eval('.notifications-toasts .notification-list-item-message',
    (items) => items.map((item) => item.textContent ?? ''));

async function quickInputRows() {
    return page.$$eval('.quick-input-widget .quick-input-list .monaco-list-row',
        (rows) => rows.map((row) => row.getAttribute('aria-label') ?? row.textContent ?? ''));
}

/** Run a command from the Command Palette by its title. */
async function runCommand(title) {
    await page.keyboard.press('F1');
    await page.waitForSelector('.quick-input-widget .quick-input-box input', { state: 'visible' });
    await page.keyboard.type(`>${title}`.slice(1), { delay: 5 });
    await waitFor(`"${title}" in the Command Palette`, quickInputRows, (rows) => rows.some((row) => row.includes(title)));
    const rows = await quickInputRows();
    const index = rows.findIndex((row) => row.includes(title));
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row').nth(index).click();
}

/** Answer an input box or pick a quick pick row with the given text. */
async function answerQuickInput(text, { replace = true } = {}) {
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible' });
    if (replace) {
        await page.keyboard.press('Control+A');
    }
    await page.keyboard.type(text, { delay: 5 });
}

/**
 * Type a path into VS Code's simple file dialog. Typing key by key races with the dialog's own
 * completion (with the workspace below /tmp, "/tmp/" was completed into the workspace's folder
 * while the rest was still being typed), so the value is set at once and checked; a completion
 * the dialog appends after it (selected text) is deleted.
 */
async function answerFileDialog(text) {
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible' });
    for (let attempt = 0; attempt < 5; attempt++) {
        await input.fill(text);
        await sleep(400);
        const value = await input.inputValue();
        if (value !== text && value.startsWith(text)) {
            await page.keyboard.press('Delete');
            await sleep(200);
        }
        if ((await input.inputValue()) === text) {
            return;
        }
    }
    throw new Error(`the file dialog kept changing the path: ${await input.inputValue()}`);
}

async function pickQuickInput(text) {
    await waitFor(`"${text}" in the quick pick`, quickInputRows, (rows) => rows.some((row) => row.includes(text)));
    const rows = await quickInputRows();
    const index = rows.findIndex((row) => row.includes(text));
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row').nth(index).click();
}

async function goTo(line, column) {
    await page.keyboard.press('Control+G');
    await page.waitForSelector('.quick-input-widget .quick-input-box input', { state: 'visible' });
    await page.keyboard.type(`${line}:${column}`);
    await page.keyboard.press('Enter');
    await page.waitForSelector('.quick-input-widget', { state: 'hidden' });
    await sleep(300);
}

/** The quick fix menu at the cursor (Ctrl+.); chooses the action whose title includes `title`
 * with the keyboard, as a person would. Returns the titles the menu offered. */
async function quickFix(title) {
    const rows = () => page.$$eval('.action-widget .monaco-list-row.action',
        (items) => items.map((item) => item.getAttribute('aria-label') ?? item.textContent ?? ''));
    const focused = () => page.$eval('.action-widget .monaco-list-row.action.focused',
        (item) => item.getAttribute('aria-label') ?? item.textContent ?? '');
    // Ctrl+. right after the cursor moved can meet a request cancelled by that move ("No code
    // actions available"): close and ask again, as a person would
    let shown;
    for (let attempt = 1; ; attempt++) {
        await page.keyboard.press('Control+.');
        try {
            shown = await waitFor(`the quick fix "${title}"`, rows, (items) => items.some((item) => item.includes(title)),
                attempt < 3 ? 5000 : WAIT_MS);
            break;
        } catch (error) {
            if (attempt >= 3) {
                throw error;
            }
            log(`no quick fix menu yet (attempt ${attempt}); asking again`);
            await page.keyboard.press('Escape');
            await sleep(1000);
        }
    }
    for (let moves = 0; moves <= shown.length; moves++) {
        const current = await focused().catch(() => '');
        if (current.includes(title)) {
            await page.keyboard.press('Enter');
            return shown;
        }
        await page.keyboard.press('ArrowDown');
        await sleep(50);
    }
    throw new Error(`could not focus the quick fix "${title}" in ${JSON.stringify(shown)}`);
}

/** The pid of the `heedful serve` running for the workspace (its working directory). */
function serverPid() {
    for (const entry of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) {
            continue;
        }
        try {
            const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
            const serve = cmdline.indexOf('heedful') > 0 && cmdline[cmdline.indexOf('heedful') - 1] === '-m'
                && cmdline[cmdline.indexOf('heedful') + 1] === 'serve';
            const state = fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ').pop().split(' ')[0];
            if (serve && state !== 'Z' && fs.readlinkSync(`/proc/${entry}/cwd`) === workspace) {
                return Number(entry);
            }
        } catch {
            // gone meanwhile
        }
    }
    return undefined;
}

// -- the run ------------------------------------------------------------------------------------

async function main() {
    const userData = path.join(scratch, 'user-data');
    const extensions = path.join(scratch, 'extensions');
    fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
    fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({
        'heedful.interpreter': [args.python],
        'heedful.debounceMs': 50,
        'heedful.logLevel': 'info',
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.enableExperiments': false,
        'workbench.welcomePage.walkthroughs.openOnInstall': false,
        'security.workspace.trust.enabled': false,
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'extensions.autoUpdate': false,
        'extensions.autoCheckUpdates': false,
        'extensions.ignoreRecommendations': true,
        'git.enabled': false,
        'chat.commandCenter.enabled': false,
        // typing in the test must be literal
        'editor.autoClosingBrackets': 'never',
        'editor.autoClosingQuotes': 'never',
        'editor.autoSurround': 'never',
        'editor.autoIndent': 'none',
        'editor.quickSuggestions': { other: false, comments: false, strings: false },
        'editor.suggestOnTriggerCharacters': false,
        'editor.parameterHints.enabled': false,
        'editor.wordBasedSuggestions': 'off',
        'editor.hover.enabled': false,
        'editor.lightbulb.enabled': 'off',
        'files.autoSave': 'off',
    }, null, 2));
    const env = {
        ...process.env,
        XDG_CONFIG_HOME: path.join(scratch, 'xdg-config'),
        XDG_DATA_HOME: path.join(scratch, 'xdg-data'),
        XDG_CACHE_HOME: path.join(scratch, 'xdg-cache'),
        // no extension gallery: nothing to look up on the internet
        EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: '' }),
    };
    const common = ['--user-data-dir', userData, '--extensions-dir', extensions, '--config', path.join(scratch, 'config.yaml')];

    await step('install the .vsix', async () => {
        const output = await run(args['code-server'], [...common, '--install-extension', path.resolve(args.vsix)], { env });
        result.observations.install = output.trim().split('\n').slice(-1)[0];
    });

    await step('start code-server', async () => {
        const port = await freePort();
        const logFile = fs.openSync(path.join(out, 'code-server.log'), 'w');
        codeServer = spawn(args['code-server'], [
            ...common, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry',
            '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', workspace,
        ], { env, detached: true, stdio: ['ignore', logFile, logFile] });
        result.codeServerPid = codeServer.pid;
        result.url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`;
        await waitFor('code-server to answer /healthz', async () => {
            if (codeServer.exitCode !== null) {
                throw new Error(`code-server exited with ${codeServer.exitCode}`);
            }
            const response = await fetch(`http://127.0.0.1:${port}/healthz`);
            return response.ok;
        }, (ok) => ok === true, 60_000);
    });

    await step('open the workspace in Chromium', async () => {
        browser = await chromium.launch({
            executablePath: args.chromium,
            env, // its profile, crash reports and caches stay in the scratch folder too
            args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                '--disable-component-update', '--disable-dev-shm-usage'],
        });
        const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
        await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(result.url).origin });
        page = await context.newPage();
        await page.goto(result.url);
        await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 60_000 });
        await page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout: 60_000 });
    });

    await step('open app.py: the violation is in the Problems panel', async () => {
        await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'app.py' }).first().dblclick();
        await page.waitForSelector('.monaco-editor .view-lines .view-line');
        await page.keyboard.press('Control+Shift+M');
        result.observations.opened = await waitFor('the naming.case warning', problems,
            (rows) => rows.some((row) => row.includes("function name 'loadUser' is not snake_case")));
        result.observations.openedStatus = await waitFor('the status bar to show 1/2', statusItem,
            (item) => item.text.includes('1/2'));
        await screenshot('opened');
    });

    await step('the constraints view lists the constraints in force', async () => {
        await runCommand('heedful: Focus on Constraints in Force View');
        const rows = () => page.$$eval('.part.sidebar .monaco-list-row',
            (items) => items.map((item) => item.getAttribute('aria-label') ?? item.textContent ?? ''));
        result.observations.view = await waitFor('the constraints of app.py in the view', rows,
            (items) => items.some((item) => item.includes('PEP 8 function names')) && items.some((item) => item.includes('size.max_parameters')));
        await screenshot('view');
        await page.keyboard.press('Control+1'); // back to the editor
    });

    await step('start the study recording', async () => {
        await runCommand('heedful: Start/Stop Study Recording');
        const dialog = page.locator('.monaco-dialog-box');
        await dialog.waitFor({ state: 'visible' });
        result.observations.consent = (await dialog.textContent()) ?? '';
        await dialog.locator('.monaco-button', { hasText: 'Start Recording' }).click();
        result.observations.recordingStatus = await waitFor('the status bar to show the recording', statusItem,
            (item) => item.icons.includes('codicon-record'));
        await page.keyboard.press('Control+1');
    });

    await step('start a study session: the ids and the consent', async () => {
        await runCommand('heedful: Start Study Session');
        for (const answer of ['e2e-study', 'p1', 's1', 'with-heedful']) {
            await answerQuickInput(answer);
            await page.keyboard.press('Enter');
            await sleep(300);
        }
        const dialog = page.locator('.monaco-dialog-box');
        await dialog.waitFor({ state: 'visible' });
        result.observations.sessionConsent = (await dialog.textContent()) ?? '';
        await dialog.locator('.monaco-button', { hasText: /^Start Session$/ }).click();
        await dialog.waitFor({ state: 'hidden' });
        await page.keyboard.press('Control+1');
    });

    await step('edit: fix the name, the warning goes', async () => {
        await goTo(1, 5);
        await page.keyboard.press('Shift+Control+ArrowRight'); // select loadUser
        await page.keyboard.type('load_user', { delay: 40 }); // typed, key by key
        await page.keyboard.press('Escape'); // the suggestions, if any, are not taken
        result.observations.fixed = await waitFor('no heedful problem left', problems, (rows) => rows.length === 0);
        result.observations.fixedStatus = await waitFor('the status bar to show 2/2', statusItem, (item) => item.text.includes('2/2'));
        result.observations.fixedText = await editorText();
    });

    await step('an assistant edit that breaks a passing constraint: a regression', async () => {
        // the scope: the lines of save_user, selected
        await goTo(5, 1);
        await page.keyboard.press('Shift+ArrowDown');
        await page.keyboard.press('Shift+End');
        await runCommand('heedful: Mark Next Edit as Assistant Edit');
        await answerQuickInput('make save_user add three numbers', { replace: false });
        await page.keyboard.press('Enter');
        result.observations.armedStatus = await waitFor('the status bar to show the announced assistant edit', statusItem,
            (item) => item.icons.includes('codicon-hubot'));
        // the assistant's edit: one change, as an assistant's edit arrives
        await goTo(5, 19);
        await page.keyboard.insertText(', c');
        result.observations.regressed = await waitFor('the regression', problems,
            (rows) => rows.some((row) => row.includes("takes 3 parameters") && row.startsWith('Error')));
        result.observations.regressedStatus = await waitFor('the status bar to show the regression', statusItem,
            (item) => item.text.includes('1/2') && item.text.includes('1 regression'));
        // the test's artifact: the diagnostics and the status bar right after an assistant edit
        result.screenshot = path.join(out, 'heedful-e2e.png');
        fs.copyFileSync(await screenshot('regression'), result.screenshot);
    });

    await step('quick fix: copy feedback for the assistant', async () => {
        await goTo(5, 6);
        result.observations.quickFixes = await quickFix('copy feedback for the assistant');
        result.observations.clipboard = await waitFor('the feedback in the clipboard',
            () => page.evaluate(() => navigator.clipboard.readText()), (text) => text.includes('Your change does not follow the instruction'));
    });

    await step('quick fix: disable the constraint for the line', async () => {
        await goTo(5, 6);
        await quickFix('heedful: disable size.max_parameters for this line');
        result.observations.disabledText = await waitFor('the disable comment in the file', editorText,
            (text) => text.includes('# heedful: disable=size.max_parameters'));
        result.observations.disabled = await waitFor('the problems to clear', problems, (rows) => rows.length === 0);
        result.observations.disabledStatus = await waitFor('the status bar to show 2/2', statusItem, (item) => item.text.includes('2/2'));
    });

    await step('set a constraint from an instruction: the new one applies at once', async () => {
        await goTo(6, 1);
        await page.keyboard.press('End');
        await page.keyboard.insertText('\n\n\ndef run(code):\n    return eval(code)\n');
        await runCommand('heedful: Set Constraints from Selection/Instruction');
        await answerQuickInput('calls.forbidden', { replace: false });
        await pickQuickInput('calls.forbidden');
        await answerQuickInput('names = ["eval"], label = "no eval"');
        await page.keyboard.press('Enter');
        await pickQuickInput('Add to app.py');
        result.observations.setConstraint = await waitFor('the calls.forbidden warning', problems,
            (rows) => rows.some((row) => row.includes("call to forbidden 'eval'")));
        result.observations.setConstraintStatus = await waitFor('the status bar to count three constraints', statusItem,
            (item) => item.text.includes('2/3'));
    });

    await step('the server crashes: it restarts and gets the conversation back', async () => {
        const killed = serverPid();
        if (killed === undefined) {
            throw new Error('no heedful serve process for the workspace');
        }
        process.kill(killed, 'SIGKILL');
        result.observations.killedServer = killed;
        result.observations.restartedServer = await waitFor('a new heedful serve', async () => serverPid(), (pid) => pid !== undefined && pid !== killed);
        // the restarted server re-checks app.py; 3 constraints again: the conversation's was sent again
        result.observations.restartedStatus = await waitFor('the status bar to count three constraints again', statusItem,
            (item) => item.text.includes('2/3'));
        result.observations.restartedProblems = await waitFor('the calls.forbidden warning again', problems,
            (rows) => rows.some((row) => row.includes("call to forbidden 'eval'")));
    });

    await step('heedful missing from the interpreter: a notification with the fix', async () => {
        // the workspace's settings choose Python without site-packages: it cannot import heedful
        const settingsFile = path.join(workspace, '.vscode', 'settings.json');
        const settings = fs.existsSync(settingsFile) ? JSON.parse(fs.readFileSync(settingsFile, 'utf8')) : {};
        fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
        fs.writeFileSync(settingsFile, JSON.stringify({ ...settings, 'heedful.interpreter': [args.python, '-S'] }, null, 2));
        result.observations.missingNotification = await waitFor('the notification that heedful is not installed', notifications,
            (items) => items.some((item) => item.includes('heedful is not installed in')));
        const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: 'heedful is not installed in' }).first();
        result.observations.missingButtons = await toast.locator('.monaco-button').allTextContents();
        result.observations.missingStatus = await waitFor('the status bar to show the server is not running', statusItem,
            (item) => item.icons.includes('codicon-error') && !item.text.includes('/'));
        await screenshot('heedful-missing');
        // the fix: pick the interpreter that has heedful (no Python extension here: a file dialog)
        await toast.locator('.monaco-button', { hasText: 'Select Interpreter' }).click();
        await answerFileDialog(args.python);
        await sleep(300);
        await page.keyboard.press('Enter');
        result.observations.workspaceSettings = await waitFor('the interpreter in the workspace settings',
            async () => fs.readFileSync(path.join(workspace, '.vscode', 'settings.json'), 'utf8'),
            (text) => text.includes(args.python) && !text.includes('-S'));
        result.observations.fixedInterpreterStatus = await waitFor('the server back with the conversation', statusItem,
            (item) => item.text.includes('2/3'));
    });

    await step('save and take the screenshot', async () => {
        await page.keyboard.press('Control+S');
        await runCommand('heedful: Focus on Constraints in Force View');
        await sleep(1000);
        const rows = () => page.$$eval('.part.sidebar .monaco-list-row',
            (items) => items.map((item) => item.getAttribute('aria-label') ?? item.textContent ?? ''));
        result.observations.finalView = await waitFor('the conversation constraint in the view', rows,
            (items) => items.some((item) => item.includes('no eval')));
        result.observations.finalProblems = await problems();
        result.observations.finalStatus = await statusItem();
        result.observations.notifications = await notifications();
        await screenshot('final');
    });
}

async function cleanUp() {
    if (browser) {
        await browser.close().catch(() => undefined);
    }
    if (codeServer && codeServer.exitCode === null) {
        // the group: code-server, its extension host and the heedful server the extension started
        try {
            process.kill(-codeServer.pid, 'SIGTERM');
        } catch {
            // already gone
        }
        const deadline = Date.now() + 5000;
        while (Date.now() < deadline) {
            try {
                process.kill(-codeServer.pid, 0);
            } catch {
                break;
            }
            await sleep(100);
        }
        try {
            process.kill(-codeServer.pid, 'SIGKILL');
        } catch {
            // all ended
        }
    }
}

const overall = setTimeout(() => {
    log('overall time limit reached');
    result.error = `the run took longer than ${args['timeout-ms']} ms`;
    void cleanUp().finally(() => finish(1));
}, Number(args['timeout-ms']));

function finish(code) {
    clearTimeout(overall);
    result.elapsedMs = Date.now() - started;
    fs.writeFileSync(path.join(out, 'result.json'), JSON.stringify(result, null, 2));
    log(`done in ${(result.elapsedMs / 1000).toFixed(1)} s${result.error ? `: ${result.error}` : ''}`);
    process.exit(code);
}

try {
    await main();
    await cleanUp();
    finish(0);
} catch (error) {
    result.error = error.stack ?? String(error);
    log(`failed: ${error.message}`);
    if (page) {
        await screenshot('failure').catch(() => undefined);
    }
    await cleanUp();
    finish(1);
}
