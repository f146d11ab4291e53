import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { MAX_ATTACHMENT_BYTES } from "../../src/agent/backend.js";
import { type Browser, launchBrowser } from "./browser.js";
import { type FakeStack, HOSTILE, startFakeStack } from "./fake-stack.js";
import type { PageDocument } from "./page-dom.js";

// In page.waitForFunction() callbacks only (see page-dom.ts).
declare const document: PageDocument;

/**
 * The dashboard's features for OpenCode's everyday work, in headless Chromium against the real
 * dashboard server on a scripted FakeBackend (see fake-stack.ts): what a person sees and clicks,
 * and what reaches the backend. Hostile strings (labels, names, paths, diffs, todos) must render
 * as text.
 */
let stack: FakeStack;
let browser: Browser;
let counter = 0;

before(async () => {
  stack = await startFakeStack();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

afterEach(() => {
  assert.deepEqual(browser.pageErrors, [], "no error in the page's scripts");
});

async function openConversation(): Promise<{ page: Page; key: string }> {
  const key = `web:f${Date.now().toString(36)}${counter++}`;
  const page = await browser.page();
  await page.goto(`${stack.url}/#${encodeURIComponent(key)}`);
  await page.waitForSelector("body[data-ready]");
  return { page, key };
}

async function send(page: Page, text: string): Promise<void> {
  await page.fill("#input", text);
  await page.press("#input", "Enter");
}

const lastTurn = ".turn:last-child";
const finished = (page: Page) => page.waitForSelector(`${lastTurn}.finished`);
const lastRun = () => stack.backend.runs.at(-1);

/** Nothing hostile became markup, and nothing ran. */
async function assertInert(page: Page): Promise<void> {
  const found = (await page.evaluate(`({
    markup: document.querySelectorAll("main img, main script, main iframe").length,
    handlers: [...document.querySelectorAll("main *")].filter((n) => [...n.attributes].some((a) => a.name.startsWith("on"))).length,
    pwned: window.__pwned,
  })`)) as { markup: number; handlers: number; pwned: unknown };
  assert.deepEqual(found, { markup: 0, handlers: 0, pwned: undefined });
}

describe("the dashboard's features, on a fake backend", () => {
  test("a question is a card: a click on an option answers it, and the card says what was answered", async () => {
    const { page } = await openConversation();
    await send(page, "Style the button [[question]]");
    const card = page.locator(`${lastTurn} .question`);
    await card.waitFor();
    assert.equal(await card.locator(".question-header").textContent(), "Colour");
    assert.equal(await card.locator(".question-text").textContent(), "Which colour should the button be?");
    const labels = await card.locator("button.option .option-label").allTextContents();
    assert.deepEqual(labels, ["Orange", "Blue", HOSTILE], "the hostile label as text");
    assert.equal(await card.locator(`button.option[data-label='Blue'] .option-description`).textContent(), "Calmer");
    assert.match((await page.textContent(`${lastTurn} .status-line`)) ?? "", /Waiting for your answer/);
    await card.locator("button.option[data-label='Blue']").click();
    await finished(page);
    assert.equal(await card.locator(".outcome").textContent(), "Answered: Blue");
    assert.match((await card.getAttribute("class")) ?? "", /answered/);
    assert.equal(await card.locator("button.option").first().isDisabled(), true);
    assert.deepEqual(stack.backend.answers.at(-1)?.answer, [["Blue"]]);
    assert.match((await page.textContent(`${lastTurn} .markdown`)) ?? "", /You said \[\["Blue"\]\]/);
    assert.equal(await page.locator(`${lastTurn} .card.tool`).count(), 0, "no card repeating the question tool");
    await assertInert(page);
    await page.close();
  });

  test("a question answered elsewhere (another client, the API) closes the card", async () => {
    const { page } = await openConversation();
    await send(page, "Style it [[question]]");
    const card = page.locator(`${lastTurn} .question`);
    await card.waitFor();
    const id = await card.getAttribute("data-question-id");
    const answered = await fetch(`${stack.url}/api/questions/${id}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ answers: [["Orange"]] }),
    });
    assert.equal(answered.status, 200);
    await finished(page);
    assert.equal(await card.locator(".outcome").textContent(), "Answered.");
    assert.equal(await card.locator("button.option").first().isDisabled(), true);
    await page.close();
  });

  test("several questions and multi-select: options toggle, an own answer, then Submit; Reject refuses", async () => {
    const { page } = await openConversation();
    await send(page, "Format things [[multi]]");
    const card = page.locator(`${lastTurn} .question`);
    await card.waitFor();
    const files = card.locator(".question-item[data-index='0']");
    await files.locator("button.option[data-label='src/a.ts']").click();
    await files.locator("button.option[data-label='README.md']").click();
    await files.locator("button.option[data-label='src/b.ts']").click();
    await files.locator("button.option[data-label='src/b.ts']").click(); // chosen, then not
    assert.equal(await files.locator("button.option[aria-pressed='true']").count(), 2);
    await card.locator("button[data-action='submit']").click();
    assert.match((await card.locator(".outcome").textContent()) ?? "", /Answer “Indent” too/, "every question needs an answer");
    await card.locator(".question-item[data-index='1'] .typed-answer").fill("two spaces");
    await card.locator("button[data-action='submit']").click();
    await finished(page);
    assert.deepEqual(stack.backend.answers.at(-1)?.answer, [["src/a.ts", "README.md"], ["two spaces"]]);
    assert.equal(await card.locator(".outcome").textContent(), "Answered: Files: src/a.ts, README.md · Indent: two spaces");

    await send(page, "Again [[question]]");
    const second = page.locator(`${lastTurn} .question`);
    await second.locator("button[data-action='reject']").click();
    await finished(page);
    assert.equal(stack.backend.answers.at(-1)?.answer, "reject");
    assert.equal(await second.locator(".outcome").textContent(), "Rejected");
    await page.close();
  });

  test("the agent picker offers the primary agents and sends `agent`; the header shows the one in use", async () => {
    const { page, key } = await openConversation();
    await page.waitForSelector("#agent:not([disabled]) option[value='plan']", { state: "attached" });
    const offered = await page.$$eval("#agent option", (options) => options.map((o) => (o as unknown as { value: string }).value));
    assert.deepEqual(offered, ["", "build", "plan", "docs"], "no subagent");
    assert.equal(await page.textContent("#agent-badge"), "default agent");
    await send(page, "first");
    await finished(page);
    assert.equal(lastRun()?.options.agent, undefined, "nothing chosen, nothing sent");
    await page.selectOption("#agent", "plan");
    await send(page, "plan this");
    await finished(page);
    assert.equal(lastRun()?.options.agent, "plan");
    assert.equal(stack.backend.get(key)?.agent, "plan");
    await page.waitForFunction(() => document.getElementById("agent-badge")?.textContent === "plan agent");
    await send(page, "and then");
    await finished(page);
    assert.equal(lastRun()?.options.agent, undefined, "the conversation remembers it");
    assert.equal(await page.inputValue("#agent"), "plan");
    await page.reload();
    await page.waitForSelector("body[data-ready]");
    await page.waitForFunction(() => document.getElementById("agent-badge")?.textContent === "plan agent");
    await page.waitForFunction(() => (document.getElementById("agent") as unknown as { value: string } | null)?.value === "plan");
    await page.selectOption("#agent", "");
    await send(page, "back to default");
    await finished(page);
    assert.equal(stack.backend.get(key)?.agent, "", "back to the server's default");
    await page.close();
  });

  test("attached files show as chips and go with the message; too large ones are refused before any upload", async () => {
    const { page } = await openConversation();
    const name = `notes ${HOSTILE}.md`;
    await page.setInputFiles("#file-input", [
      { name, mimeType: "text/markdown", buffer: Buffer.from("# Notes\nhéllo\n") },
      { name: "pixel.png", mimeType: "image/png", buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 255]) },
    ]);
    await page.waitForSelector("#attachments .chip >> nth=1");
    assert.deepEqual(await page.locator("#attachments .chip-name").allTextContents(), [name, "pixel.png"]);
    await page.locator("#attachments .chip[data-name='pixel.png'] .chip-remove").click();
    assert.deepEqual(await page.locator("#attachments .chip-name").allTextContents(), [name]);
    // Dropped on the chat, too.
    await page.evaluate(`(() => {
      const data = new DataTransfer();
      data.items.add(new File(["dropped"], "dropped.txt", { type: "text/plain" }));
      document.getElementById("chat").dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
    })()`);
    await page.waitForSelector("#attachments .chip[data-name='dropped.txt']");

    const runs = stack.backend.runs.length;
    await page.setInputFiles("#file-input", [
      { name: "huge.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(MAX_ATTACHMENT_BYTES + 1) },
    ]);
    await page.waitForSelector("#banner.error:visible");
    assert.match((await page.textContent("#banner")) ?? "", /“huge\.bin” is 10 MB: files of at most 10 MB can be attached/);
    assert.equal(await page.locator("#attachments .chip").count(), 2, "not attached");

    await send(page, "read these");
    await finished(page);
    assert.equal(stack.backend.runs.length, runs + 1);
    const files = lastRun()?.options.files ?? [];
    assert.deepEqual(
      files.map((f) => [f.name, f.mime, Buffer.from(f.data).toString()]),
      [
        [name, "text/markdown", "# Notes\nhéllo\n"],
        ["dropped.txt", "text/plain", "dropped"],
      ],
    );
    assert.deepEqual(await page.locator(`${lastTurn} .bubble .chip`).allTextContents(), [`${name} · 15 B`, "dropped.txt · 7 B"]);
    assert.equal(await page.isVisible("#attachments"), false, "sent: the chips are gone");
    await assertInert(page);
    await page.close();
  });

  test("the todo panel follows the agent's list", async () => {
    const { page } = await openConversation();
    assert.equal(await page.isVisible("#todos"), false, "hidden while there is none");
    await send(page, "Plan the work [[todo]]");
    await finished(page);
    await page.waitForSelector("#todos:visible");
    const items = await page.$$eval("#todos .todo", (nodes) =>
      nodes.map((n) => [(n as unknown as { dataset: { status: string } }).dataset.status, n.querySelector(".todo-text")?.textContent]),
    );
    assert.deepEqual(items, [
      ["completed", "Read the existing styles"],
      ["in_progress", "Pick the button colour with the person"],
      ["pending", `Write the CSS ${HOSTILE}`],
      ["cancelled", "Drop the old theme"],
    ]);
    assert.equal(await page.textContent("#todos .todo-count"), "1/4");
    await page.click("#new-conversation");
    await page.waitForSelector("#todos", { state: "hidden" });
    await assertInert(page);
    await page.close();
  });

  test("changed files: a list with +/− counts, each unfolding to its diff, coloured, as text", async () => {
    const { page, key } = await openConversation();
    await send(page, "Change the button [[changes]]");
    await finished(page);
    const card = page.locator(`${lastTurn} .files`);
    assert.match((await card.locator(".card-title").textContent()) ?? "", /Changed 2 files \+3 −1/);
    const rows = card.locator(".changed-file");
    assert.deepEqual(await rows.locator(".file-path").allTextContents(), ["src/button.css", `docs/${HOSTILE}.md`]);
    assert.deepEqual(await rows.first().locator(".adds, .dels").allTextContents(), ["+2", "−1"]);
    assert.equal(await rows.first().locator("details").getAttribute("open"), null, "folded");
    const before = stack.backend.operations.length;
    await rows.first().locator("summary").click();
    const diff = rows.first().locator("pre.diff");
    await diff.waitFor();
    assert.deepEqual(stack.backend.operations.slice(before), [`diff ${key}`], "the last turn's diff");
    assert.deepEqual(await diff.locator(".diff-line.add").allTextContents(), ["+  color: #e8793a;\n", "+  border-radius: 8px;\n"]);
    assert.deepEqual(await diff.locator(".diff-line.del").allTextContents(), ["-  color: grey;\n"]);
    assert.equal(await diff.locator(".diff-line.hunk").count(), 1);
    assert.ok(!((await diff.textContent()) ?? "").includes("docs/"), "only this file's part");

    // Once a later turn has run, an older turn's file is shown from the whole conversation's diff.
    await send(page, "thanks");
    await finished(page);
    const older = page.locator(".turn:first-child .files .changed-file").nth(1);
    await older.locator("summary").click();
    const hostile = older.locator("pre.diff");
    await hostile.waitFor();
    assert.match((await older.locator(".note").textContent()) ?? "", /whole conversation/);
    assert.match((await hostile.textContent()) ?? "", /\+<img src=x onerror="window\.__pwned=1"> <script>window\.__pwned=3<\/script>/);
    assert.equal(stack.backend.operations.at(-1), `diff ${key} all`);
    await assertInert(page);
    await page.close();
  });

  test("undo, redo, fork and compact from the conversation's menu, each saying what happened", async () => {
    const { page, key } = await openConversation();
    await page.click("#actions");
    assert.equal(await page.locator("#actions-menu button[data-op='undo']").isDisabled(), true, "nothing to undo in a new conversation");
    await page.keyboard.press("Escape");
    await send(page, "first");
    await finished(page);
    for (const [op, said] of [
      ["undo", /Undid the last turn/],
      ["redo", /Redone/],
      ["compact", /Compacted/],
    ] as const) {
      await page.click("#actions");
      await page.click(`#actions-menu button[data-op='${op}']`);
      await page.waitForFunction((re) => new RegExp(re).test(document.getElementById("banner")?.textContent ?? ""), said.source);
      assert.equal(stack.backend.operations.at(-1), `${op} ${key}`);
      assert.equal(await page.isVisible("#actions-menu"), false);
    }
    await page.click("#actions");
    await page.click("#actions-menu button[data-op='fork']");
    await page.waitForFunction(() => /Forked/.test(document.getElementById("banner")?.textContent ?? ""));
    const copy = decodeURIComponent(new URL(page.url()).hash.slice(1));
    assert.match(copy, /^web:[0-9a-f]{12}$/);
    assert.equal(stack.backend.operations.at(-1), `fork ${key} ${copy}`);
    await page.waitForSelector(`.conversation.active[data-key="${copy}"]`);

    // While a turn runs the menu is unavailable (and the API would say 409 busy).
    await send(page, "long one [[wait]]");
    await page.waitForSelector("#stop:visible");
    assert.equal(await page.isDisabled("#actions"), true);
    await page.click("#stop");
    await finished(page);
    assert.equal(await page.isDisabled("#actions"), false);
    await page.close();
  });

  test("commands are offered after /, picked with the keyboard or a click, and run with their arguments", async () => {
    const { page } = await openConversation();
    await page.waitForFunction(() => document.querySelector("#input") !== null);
    await page.locator("#input").pressSequentially("/");
    await page.waitForSelector("#suggestions:visible");
    assert.deepEqual(await page.locator("#suggestions .suggestion-name").allTextContents(), ["/init", "/review"]);
    assert.equal(await page.locator("#suggestions .suggestion-description").nth(1).textContent(), `Review the changes ${HOSTILE}`);
    await page.locator("#input").pressSequentially("re");
    assert.deepEqual(await page.locator("#suggestions .suggestion-name").allTextContents(), ["/review"]);
    await page.press("#input", "Enter");
    assert.equal(await page.inputValue("#input"), "/review ", "Enter completes the name");
    assert.equal(await page.isVisible("#suggestions"), false);
    await page.locator("#input").pressSequentially("src/a.ts");
    await page.press("#input", "Enter");
    await finished(page);
    assert.deepEqual([lastRun()?.message, lastRun()?.options.command], ["src/a.ts", "review"]);
    assert.equal(await page.textContent(`${lastTurn} .bubble`), "/review src/a.ts");

    await page.locator("#input").pressSequentially("/");
    await page.locator("#suggestions .suggestion[data-command='init']").click();
    assert.equal(await page.inputValue("#input"), "/init ");
    await page.press("#input", "Enter");
    await finished(page);
    assert.deepEqual([lastRun()?.message, lastRun()?.options.command], ["", "init"]);

    await send(page, "/nothing here");
    await finished(page);
    assert.deepEqual(
      [lastRun()?.message, lastRun()?.options.command],
      ["/nothing here", undefined],
      "not a command of the server: a message",
    );
    await assertInert(page);
    await page.close();
  });
  test("the header shows each chat channel's state, its detail on hover, as text", async () => {
    const { page } = await openConversation();
    await page.waitForSelector(".health .channel.running");
    const shown = await page.$$eval(".health .channel", (nodes) => nodes.map((n) => [n.textContent, n.getAttribute("title")]));
    assert.deepEqual(shown, [
      ["telegram: running", "@pocketpaw_bot"],
      ["slack: stopped", HOSTILE],
    ]);
    await assertInert(page);
  });
});
