// End-to-end test of the web chat page served by `chatrec serve` at `/`.
//
//   CHATREC_URL=http://127.0.0.1:7878 node tests/web/chat_page.test.mjs
//
// Env: CHATREC_URL (default http://127.0.0.1:7878), CHATREC_ARTIFACTS (folder for the
// screenshot; default target/web-artifacts under the repository root), CHATREC_API_KEY
// (optional, stored in the page's settings before it loads), CHROMIUM (default
// /usr/bin/chromium). The server must already be running and ready.
import { chromium } from "playwright-core";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const WAIT_MS = 20_000;
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..", "..");
const BASE = (process.env.CHATREC_URL || "http://127.0.0.1:7878").replace(/\/+$/, "");
const ARTIFACTS = path.resolve(process.env.CHATREC_ARTIFACTS || path.join(repoRoot, "target", "web-artifacts"));
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const API_KEY = process.env.CHATREC_API_KEY || "";

const DONE_TURNS = ".turn.assistant[data-state=done]";
const FINISHED_TURNS = ".turn.assistant:not([data-state=streaming])";

class Failure extends Error {}
const fail = (msg) => { throw new Failure(msg); };

let currentStep = "start";
function step(name) {
  currentStep = name;
  console.log(`- ${name}`);
}

// Fails at once with the page's own message when it shows an error.
async function assertNoPageError(page) {
  const err = await page.$eval("#error", (e) => (e.hidden ? "" : (e.querySelector("span") || e).textContent.trim())).catch(() => "");
  if (err) fail(`the page shows an error: ${err}`);
}

// Waits until the page has more than `before` finished assistant turns; returns the newest
// one's { turn, text, items } after checking it finished well.
async function nextAssistantTurn(page, before, what) {
  try {
    await page.waitForFunction(
      ([sel, n]) => document.querySelectorAll(sel).length > n,
      [FINISHED_TURNS, before],
      { timeout: WAIT_MS, polling: 100 },
    );
  } catch (e) {
    await assertNoPageError(page);
    fail(`no assistant turn for ${what} within ${WAIT_MS / 1000} s`);
  }
  const turn = await page.$$eval(FINISHED_TURNS, (turns) => {
    const t = turns[turns.length - 1];
    return {
      state: t.getAttribute("data-state"),
      turn: t.getAttribute("data-turn"),
      text: (t.querySelector(".text")?.textContent || "").trim(),
      items: [...t.querySelectorAll(".item[data-item-id]")].map((c) => c.getAttribute("data-item-id")),
    };
  });
  if (turn.state !== "done") {
    await assertNoPageError(page);
    fail(`the assistant turn for ${what} failed: ${turn.text}`);
  }
  await assertNoPageError(page);
  return turn;
}

async function send(page, text) {
  const before = await page.locator(FINISHED_TURNS).count();
  await page.fill("#message", text);
  await page.press("#message", "Enter");
  return before;
}

async function main() {
  if (!existsSync(CHROMIUM)) fail(`no browser at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  const shot = path.join(ARTIFACTS, "chat_page.png");
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
    timeout: WAIT_MS,
  });
  const pageErrors = [];
  const foreign = [];
  let page;
  try {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    if (API_KEY) {
      await context.addInitScript((key) => localStorage.setItem("chatrec.apiKey", key), API_KEY);
    }
    page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    page.on("console", (m) => { if (m.type() === "error") console.log(`  (browser console) ${m.text()}`); });
    const origin = new URL(BASE).origin;
    page.on("request", (r) => {
      const u = r.url();
      if (!u.startsWith("data:") && new URL(u).origin !== origin) foreign.push(u);
    });

    step(`open ${BASE}/`);
    const res = await page.goto(`${BASE}/`, { timeout: WAIT_MS, waitUntil: "load" }).catch((e) => fail(`cannot open ${BASE}/: ${e.message}`));
    if (!res || !res.ok()) fail(`GET / answered ${res ? res.status() : "nothing"}`);
    for (const sel of ["#message", "#send", "#chat", "#new-conversation"]) {
      if ((await page.locator(sel).count()) !== 1) fail(`the page has no single ${sel}`);
    }

    step("a conversation is created on load");
    await page.waitForSelector("#chat[data-conversation-id]", { timeout: WAIT_MS, state: "attached" })
      .catch(async () => { await assertNoPageError(page); fail(`no conversation within ${WAIT_MS / 1000} s`); });

    step('send "something like star wars"');
    let before = await send(page, "something like star wars");
    const first = await nextAssistantTurn(page, before, '"something like star wars"');
    if (first.items.length === 0) fail(`the first answer has no item cards; reply was: ${first.text}`);
    console.log(`  items: ${first.items.join(", ")}`);
    const userBubbles = await page.locator(".turn.user").count();
    if (userBubbles < 1) fail("the user's message is not shown in the chat");

    const rejected = first.items[0];
    step(`thumbs down on the first item (${rejected})`);
    before = await page.locator(FINISHED_TURNS).count();
    // Pinned by index: `.last()` would move on to the next turn once it arrives.
    const doneCount = await page.locator(DONE_TURNS).count();
    const card = page.locator(DONE_TURNS).nth(doneCount - 1).locator(`.item[data-item-id="${rejected}"]`);
    await card.locator(".thumb-down").click();
    const second = await nextAssistantTurn(page, before, "the thumbs down");
    if (second.items.length === 0) fail(`the answer after the thumbs down has no items; reply was: ${second.text}`);
    if (second.items.includes(rejected)) fail(`the rejected item ${rejected} is recommended again: ${second.items.join(", ")}`);
    console.log(`  items: ${second.items.join(", ")}`);
    const pressed = await card.locator(".thumb-down").getAttribute("aria-pressed");
    const disabled = await card.locator(".thumb-down").isDisabled() && await card.locator(".thumb-up").isDisabled();
    if (pressed !== "true" || !disabled) fail("the clicked card's buttons are not disabled and marked");

    step('send "why the first one?"');
    before = await send(page, "why the first one?");
    const why = await nextAssistantTurn(page, before, '"why the first one?"');
    if (!why.text) fail("the answer to the why-question is empty");
    console.log(`  reply: ${why.text.split("\n")[0].slice(0, 120)}`);

    if (pageErrors.length) fail(`script errors in the page: ${pageErrors.join(" | ")}`);
    if (foreign.length) fail(`the page loaded resources from elsewhere: ${foreign.join(", ")}`);

    step(`screenshot ${shot}`);
    // The chat log scrolls inside the page: grow the viewport so the picture holds it all.
    const fullHeight = await page.evaluate(() => ["header", "footer"]
      .reduce((h, s) => h + document.querySelector(s).offsetHeight, document.querySelector("main").scrollHeight));
    await page.setViewportSize({ width: 1100, height: Math.min(Math.max(fullHeight + 4, 900), 8000) });
    await page.screenshot({ path: shot, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(ARTIFACTS, "chat_page_narrow.png") });
  } catch (e) {
    if (page) {
      const failShot = path.join(ARTIFACTS, "chat_page_failure.png");
      await page.screenshot({ path: failShot, fullPage: true }).then(
        () => console.error(`  failure screenshot: ${failShot}`), () => {});
    }
    throw e;
  } finally {
    await browser.close().catch(() => {});
  }
}

main().then(
  () => {
    console.log("chat_page: 1 passed, 0 failed");
  },
  (e) => {
    const msg = e instanceof Failure ? e.message : (e && e.stack) || String(e);
    console.error(`FAIL at "${currentStep}": ${msg}`);
    console.log("chat_page: 0 passed, 1 failed");
    process.exit(1);
  },
);
