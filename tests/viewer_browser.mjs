// Drives the run viewer (`heedful view --serve`) in Debian's Chromium with playwright-core (the
// VS Code extension's dev dependency: no browser is downloaded). tests/test_viewer.py starts the
// server and checks the JSON this prints: what rendered, what the filters left, what the
// transcript showed, and every request, console error and CSP violation seen.
import { createRequire } from "node:module";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    url: { type: "string" }, chromium: { type: "string" }, client: { type: "string" },
    conversation: { type: "string" }, screenshots: { type: "string" },
  },
});
const require = createRequire(args.client + "/package.json");
const { chromium } = require("playwright-core");

const browser = await chromium.launch({
  executablePath: args.chromium, headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
});
const result = { requests: [], consoleErrors: [], pageErrors: [] };
try {
  const page = await browser.newPage();
  page.on("request", (request) => result.requests.push(request.url()));
  page.on("console", (message) => { if (message.type() === "error") result.consoleErrors.push(message.text()); });
  page.on("pageerror", (error) => result.pageErrors.push(String(error)));

  await page.goto(args.url + "index.html", { waitUntil: "load" });
  const visibleRows = () => page.$$eval("#conversations tbody tr", (rows) => rows.filter((r) => !r.hidden).length);
  result.title = await page.title();
  result.metricRows = await page.$$eval("#per-turn tbody tr", (rows) => rows.length);
  result.plots = await page.$$eval(".plots img", (images) => images.map((i) => i.complete && i.naturalWidth > 0));
  result.allRows = await visibleRows();
  result.counter = await page.textContent("#shown");

  result.filtered = {};
  for (const flag of ["failed", "regressed", "out-of-scope"]) {
    await page.check(`input[data-filter="${flag}"]`);
    result.filtered[flag] = await visibleRows();
    await page.uncheck(`input[data-filter="${flag}"]`);
  }
  await page.check('input[data-filter="failed"]');
  await page.check('input[data-filter="regressed"]');
  result.filtered["failed+regressed"] = await visibleRows();
  result.hashAfterFilters = new URL(page.url()).hash;
  await page.screenshot({ path: args.screenshots + "/index-filtered.png", fullPage: true });
  await page.reload({ waitUntil: "load" });  // the filters come back from the address
  result.filteredAfterReload = await visibleRows();
  await page.uncheck('input[data-filter="failed"]');
  await page.uncheck('input[data-filter="regressed"]');
  result.rowsAfterClearing = await visibleRows();

  // open the transcript by clicking its link, as a reader would
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(`#conversations a:text-is("${args.conversation}")`)]);
  result.transcriptUrl = page.url();
  result.transcriptHeading = await page.textContent("h1");
  result.rounds = await page.$$eval("section.round", (sections) => sections.length);
  result.diffLines = await page.$$eval("pre.diff .add", (lines) => lines.length);
  result.diagnostics = await page.$$eval(".diagnostic", (items) => items.filter((d) => d.offsetParent !== null)
    .map((d) => ({ text: d.textContent, inDiff: d.closest("pre.diff") !== null })));
  result.injected = await page.evaluate(() => window.__heedfulInjected === true);
  result.answerText = await page.$$eval("pre.answer", (answers) => answers.map((a) => a.textContent).join("\n"));
  await page.screenshot({ path: args.screenshots + "/transcript.png", fullPage: true });
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
