import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import type { AgentEvent } from "../../src/agent/events.js";
import { type Browser, launchBrowser } from "./browser.js";
import { eventOf, eventsOf, type Frame, postMessage, readFrames, startWebStack, type WebStack } from "./harness.js";

/**
 * The new features end to end: the HTTP API and the page against the real OpenCode server and
 * the scripted model (its `[[question:…]]`, `[[todo:…]]`, `[[write:…]]`, `[[echo-files]]`
 * directives), through pocketpaw's OpenCode backend.
 */
let stack: WebStack;
let base: string;
let browser: Browser;
let counter = 0;

before(async () => {
  stack = await startWebStack();
  base = stack.url;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

const path = (key: string) => `${base}/api/conversations/${encodeURIComponent(key)}`;
const post = (url: string, body?: unknown) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const text = (events: AgentEvent[]) =>
  events
    .filter((e) => e.type === "message")
    .map((e) => e.content)
    .join("");
const newKey = (what: string) => `web:r${what}${Date.now().toString(36)}${counter++}`;

async function turn(key: string, body: Record<string, unknown>): Promise<AgentEvent[]> {
  const response = await postMessage(base, key, body);
  if (response.status !== 200) assert.fail(`${response.status}: ${await response.text()}`);
  return eventsOf(await readFrames(response));
}

describe("the new routes on the real server", () => {
  test("agents and commands come from the server", async () => {
    const { agents } = (await (await fetch(`${base}/api/agents`)).json()) as { agents: Array<{ name: string; mode: string }> };
    const primary = agents.filter((a) => a.mode !== "subagent").map((a) => a.name);
    assert.ok(primary.includes("build") && primary.includes("plan"), primary.join(","));
    const { commands } = (await (await fetch(`${base}/api/commands`)).json()) as { commands: Array<{ name: string; description: string }> };
    assert.ok(Array.isArray(commands));
  });

  test("a question answered through the API; the run goes on with the answer", async () => {
    const key = newKey("q");
    const response = await postMessage(base, key, { text: "[[question:Which colour?|Red|Blue=Calmer]]" });
    let asked: Extract<AgentEvent, { type: "question" }> | undefined;
    const frames = await readFrames(response, (frame: Frame) => {
      const event = frame.event === undefined ? eventOf(frame) : undefined;
      if (event?.type === "question" && !asked) {
        asked = event;
        void post(`${base}/api/questions/${encodeURIComponent(event.metadata.id)}`, { answers: [["Blue"]] });
      }
      return event?.type === "done";
    });
    assert.deepEqual(
      asked?.metadata.questions[0]?.options.map((o) => o.label),
      ["Red", "Blue"],
    );
    assert.match(text(eventsOf(frames)), /Answer received:.*Blue/s);
    const unknown = await post(`${base}/api/questions/que_nothing`, { reject: true });
    assert.equal(unknown.status, 404);
  });

  test("the agent is kept for the conversation; files reach the model; a command runs", async () => {
    const key = newKey("a");
    await turn(key, { text: "hello", agent: "plan" });
    const { conversation } = (await (await fetch(path(key))).json()) as { conversation: { agent: string } };
    assert.equal(conversation.agent, "plan");
    const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="; // 1×1
    const events = await turn(key, { text: "[[echo-files]]", files: [{ name: "dot.png", mime: "image/png", data: png }] });
    assert.match(text(events), /mime=image\/png/);
    const commandTurn = await turn(key, { command: "init", text: "" });
    assert.equal(commandTurn.at(-1)?.type, "done");
  });

  test("a turn that writes a file: files_changed, its diff, undo and redo, fork, compact", async () => {
    const key = newKey("w");
    const name = `pp-${Date.now().toString(36)}.txt`;
    const events = await turn(key, { text: `[[write:${name}|hello from the web test\n]]` });
    const changed = events.find((e) => e.type === "files_changed");
    assert.ok(changed?.type === "files_changed" && changed.metadata.files.some((f) => f.path.endsWith(name)), JSON.stringify(changed));
    const { diff } = (await (await fetch(`${path(key)}/diff`)).json()) as { diff: string };
    assert.match(diff, /\+hello from the web test/);
    assert.deepEqual(await (await post(`${path(key)}/undo`)).json(), { undone: true });
    assert.deepEqual(await (await post(`${path(key)}/redo`)).json(), { redone: true });
    const forked = await post(`${path(key)}/fork`, { key: `${key}f` });
    assert.equal(forked.status, 201);
    assert.equal((await post(`${path(key)}/fork`, { key: `${key}f` })).status, 409);
    assert.deepEqual(await (await post(`${path(key)}/compact`)).json(), { compacted: true });
  });
});

describe("the new features in the page, on the real server", () => {
  async function open(): Promise<Page> {
    const page = await browser.page();
    await page.goto(`${base}/#${encodeURIComponent(newKey("p"))}`);
    await page.waitForSelector("body[data-ready]");
    return page;
  }

  test("a question card answered by a click; the todo panel; the changed files with their diff", async () => {
    const page = await open();
    await page.fill("#input", "[[todo:completed:Read|in_progress:high:Write]][[write:pp-page.txt|one\n]]");
    await page.press("#input", "Enter");
    await page.waitForSelector(".turn:last-child.finished .files");
    assert.deepEqual(await page.locator("#todos .todo-text").allTextContents(), ["Read", "Write"]);
    await page.click(".files .changed-file summary");
    await page.waitForSelector(".files pre.diff .diff-line.add");
    await page.fill("#input", "[[question:Pick one|Left|Right]]");
    await page.press("#input", "Enter");
    await page.click(".turn:last-child .question button.option[data-label='Right']");
    await page.waitForSelector(".turn:last-child.finished");
    assert.equal(await page.textContent(".turn:last-child .question .outcome"), "Answered: Right");
    assert.match((await page.textContent(".turn:last-child .markdown")) ?? "", /Answer received:.*Right/s);
    assert.deepEqual(browser.pageErrors, []);
    await page.close();
  });
});
