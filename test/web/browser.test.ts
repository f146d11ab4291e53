import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { type Browser, launchBrowser } from "./browser.js";
import { startWebStack, type WebStack } from "./harness.js";
import type { PageDocument, PageWindow } from "./page-dom.js";

// In page.evaluate() callbacks only (see page-dom.ts).
declare const document: PageDocument;
declare const window: PageWindow;

/**
 * The dashboard in headless Chromium against the real stack: what a person sees and clicks.
 * Each test opens its own conversation (a fresh key in the address), so tests do not share state.
 */
let stack: WebStack;
let browser: Browser;
let counter = 0;

before(async () => {
  stack = await startWebStack();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

/** A new tab on a new conversation, ready. */
async function openConversation(
  options: { viewport?: { width: number; height: number }; base?: string } = {},
): Promise<{ page: Page; key: string }> {
  const key = `web:b${Date.now().toString(36)}${counter++}`;
  const page = await browser.page(options.viewport);
  await page.goto(`${options.base ?? stack.url}/#${encodeURIComponent(key)}`);
  await page.waitForSelector("body[data-ready]");
  return { page, key };
}

async function send(page: Page, text: string): Promise<void> {
  await page.fill("#input", text);
  await page.press("#input", "Enter");
}

const lastTurn = ".turn:last-child";

async function finished(page: Page, timeout = 30_000): Promise<void> {
  await page.waitForSelector(`${lastTurn}.finished`, { timeout });
}

describe("the dashboard in a browser", () => {
  test("the server's health and version, the backend's badges, the model picker filled from the server's providers", async () => {
    const { page } = await openConversation();
    await page.waitForSelector(".health.ok");
    assert.match((await page.textContent(".health")) ?? "", /OpenCode 1\.18\.33/);
    await page.waitForSelector(".badge");
    const badges = await page.$$eval(".badge", (nodes) => nodes.map((n) => n.textContent));
    assert.ok(badges.includes("OpenCode") && badges.includes("streaming") && badges.includes("tools"), badges.join(","));
    await page.waitForSelector("#model option[value='fake/other-model']", { state: "attached" });
    await page.selectOption("#model", "fake/other-model");
    const before = stack.model.requests.length;
    await send(page, "[[reply:picked]]");
    await finished(page);
    assert.deepEqual(
      [
        ...new Set(
          stack.model.requests
            .slice(before)
            .filter((r) => !r.isTitle)
            .map((r) => r.model),
        ),
      ],
      ["other-model"],
    );
    await page.selectOption("#model", "");
    await page.close();
  });

  test("the reply grows on the page while it streams; Stop shows during the turn; counters after it", async () => {
    const { page } = await openConversation();
    await send(page, "[[delay:80]][[chunks:30]][[usage:1200:345]]");
    await page.waitForSelector("#stop:visible");
    assert.equal(await page.isVisible("#send"), false);
    const lengths = new Set<number>();
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      const state = await page.evaluate(() => ({
        length: document.querySelector(".turn:last-child .markdown")?.textContent?.length ?? 0,
        done: document.querySelector(".turn:last-child.finished") !== null,
      }));
      if (state.done) break;
      if (state.length > 0) lengths.add(state.length);
      await page.waitForTimeout(40);
    }
    assert.ok(lengths.size >= 3, `saw the text at ${lengths.size} lengths before the end: ${[...lengths].join(",")}`);
    await finished(page);
    assert.equal((await page.textContent(`${lastTurn} .markdown`))?.trim(), Array.from({ length: 30 }, (_, i) => `w${i}`).join(" "));
    await page.waitForSelector("#send:visible");
    assert.match((await page.textContent("#tokens")) ?? "", /1,200 in · 345 out/);
    assert.deepEqual(browser.pageErrors, []);
    await page.close();
  });

  test("a tool step is a card: name, input, live status, output folded", async () => {
    const { page } = await openConversation();
    await send(page, "[[bash:printf 'hello from bash\\n']]");
    await finished(page);
    const card = page.locator(`${lastTurn} .card.tool`);
    assert.equal(await card.locator(".tool-name").textContent(), "bash");
    assert.equal(await card.locator(".pill").last().textContent(), "done");
    assert.match((await card.getAttribute("class")) ?? "", /succeeded/);
    const output = card.locator("details.tool-output");
    assert.equal(await output.getAttribute("open"), null, "output folded");
    assert.equal(await output.locator("pre").isVisible(), false);
    await output.locator("summary").click();
    assert.equal(await output.locator("pre").textContent(), "hello from bash\n");
    await card.locator("details.tool-input summary").click();
    assert.match((await card.locator("details.tool-input pre").textContent()) ?? "", /"command": "printf 'hello from bash\\\\n'"/);
    assert.match((await page.textContent(`${lastTurn} .markdown`)) ?? "", /Tool result received: hello from bash/);
    await page.close();
  });

  test("a permission request is a card: Allow once lets the tool run", async () => {
    const { page } = await openConversation();
    await send(page, "[[bash:echo ask-browser]]");
    const card = page.locator(`${lastTurn} .permission`);
    await card.waitFor();
    assert.match((await card.textContent()) ?? "", /echo ask-browser/);
    await card.locator("button[data-reply='once']").click();
    await finished(page);
    assert.equal(await card.locator(".outcome").textContent(), "Allowed once");
    assert.equal(await page.locator(`${lastTurn} .tool-output pre`).textContent(), "ask-browser\n");
    await page.close();
  });

  test("Stop ends a running turn", async () => {
    const { page } = await openConversation();
    await send(page, "[[delay:100]][[chunks:300]]");
    await page.waitForFunction(() => (document.querySelector(".turn:last-child .markdown")?.textContent?.length ?? 0) > 10);
    await page.click("#stop");
    await finished(page);
    assert.equal(await page.textContent(`${lastTurn} .note`), "Stopped.");
    assert.ok(((await page.textContent(`${lastTurn} .markdown`)) ?? "").length < 300 * 4, "cut short");
    await page.waitForSelector("#send:visible");
    await page.close();
  });

  test("hostile model and tool output stays inert: no script runs, no handler, no javascript: link", async () => {
    const { page } = await openConversation();
    const hostile = `<script>window.__pwned=1</script> <img src=x onerror="window.__pwned=1"> [link](javascript:window.__pwned=1) <a href="javascript:window.__pwned=1">a</a> <svg onload="window.__pwned=1"></svg> <iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>`;
    await send(page, `[[reply:${hostile}]]`);
    await finished(page);
    await send(page, `[[bash:printf '<img src=x onerror=window.__pwned=2>']]`);
    await finished(page);
    // Click every link the answers hold, in case one survived.
    for (const link of await page.locator(".answer a").all()) await link.click({ modifiers: ["Alt"] }).catch(() => {});
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    const found = await page.evaluate(() => ({
      scripts: document.querySelectorAll(".log script, .log iframe").length,
      handlers: [...document.querySelectorAll(".log *")].filter((n) => [...n.attributes].some((a) => a.name.startsWith("on"))).length,
      jsLinks: [...document.querySelectorAll(".log a")].filter((a) => (a.getAttribute("href") ?? "").toLowerCase().includes("javascript"))
        .length,
      toolOutput: document.querySelector(".turn:last-child .tool-output pre")?.textContent,
      userText: document.querySelector(".turn .bubble")?.textContent,
    }));
    assert.deepEqual({ scripts: found.scripts, handlers: found.handlers, jsLinks: found.jsLinks }, { scripts: 0, handlers: 0, jsLinks: 0 });
    assert.equal(found.toolOutput, "<img src=x onerror=window.__pwned=2>", "tool output shown as text");
    assert.ok(found.userText?.includes("<script>"), "the person's own message shown as text");
    // The title in the conversation list came from the hostile message too.
    assert.equal(await page.locator(".conversation script, .conversation img").count(), 0);
    await page.close();
  });

  test("the conversation list: new, switch, rename, forget", async () => {
    const { page, key } = await openConversation();
    await send(page, "[[reply:answer one]]");
    await finished(page);
    await page.click("#new-conversation");
    await send(page, "[[reply:answer two]]");
    await finished(page);
    const first = page.locator(`.conversation[data-key="${key}"]`);
    await first.locator(".conversation-open").click();
    await page.waitForFunction(() => document.querySelector(".turn .markdown")?.textContent?.trim() === "answer one");
    assert.equal(await page.locator(".turn").count(), 1);

    page.once("dialog", (dialog) => void dialog.accept("My renamed chat"));
    await first.locator("button[data-action='rename']").click();
    await page.waitForFunction(() => document.getElementById("title")?.textContent === "My renamed chat");
    assert.equal(await first.locator(".conversation-title").textContent(), "My renamed chat");

    page.once("dialog", (dialog) => void dialog.accept());
    await first.locator("button[data-action='forget']").click();
    await first.waitFor({ state: "detached" });
    assert.equal((await fetch(`${stack.url}/api/conversations/${encodeURIComponent(key)}`)).status, 404);
    await page.close();
  });

  test("an address that names no conversation (#%, a broken escape, a bad key) opens a new one, and it works", async () => {
    for (const fragment of ["%", "%E0%A4%A", "bad%20key!"]) {
      const errors = browser.pageErrors.length;
      const page = await browser.page();
      await page.goto(`${stack.url}/#${fragment}`);
      await page.waitForSelector("body[data-ready]");
      const key = decodeURIComponent(new URL(page.url()).hash.slice(1));
      assert.match(key, /^web:[0-9a-f]{12}$/, `#${fragment} became a new conversation`);
      await send(page, `[[reply:fragment ${fragment} ok]]`);
      await finished(page);
      assert.equal((await page.textContent(`${lastTurn} .markdown`))?.trim(), `fragment ${fragment} ok`);
      assert.equal((await fetch(`${stack.url}/api/conversations/${encodeURIComponent(key)}`)).status, 200, "sent to that conversation");
      assert.deepEqual(browser.pageErrors.slice(errors), []);
      await page.close();
    }
  });

  test("a turn still running when the page is opened is followed live", async () => {
    const key = `web:live${counter++}`;
    const response = await fetch(`${stack.url}/api/conversations/${encodeURIComponent(key)}/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "[[delay:60]][[chunks:25]]" }),
    });
    await response.body?.cancel(); // this client leaves; the run goes on
    const page = await browser.page();
    await page.goto(`${stack.url}/#${encodeURIComponent(key)}`);
    await finished(page);
    assert.equal((await page.textContent(`${lastTurn} .markdown`))?.trim(), Array.from({ length: 25 }, (_, i) => `w${i}`).join(" "));
    assert.equal(await page.locator(".turn").count(), 1, "shown once, not also from the transcript");
    await page.close();
  });

  test("the page recovers when its connection drops mid-turn, without losing or repeating text", async () => {
    let proxy: TcpProxy | undefined;
    try {
      proxy = await startTcpProxy(Number(new URL(stack.url).port));
      const { page } = await openConversation({ base: proxy.url });
      await send(page, "[[delay:60]][[chunks:40]]");
      await page.waitForFunction(() => (document.querySelector(".turn:last-child .markdown")?.textContent?.length ?? 0) > 12);
      const cut = proxy.cut((line) => line.includes("/messages"));
      assert.equal(cut, 1, "the answer's connection was cut");
      await page.waitForSelector("#banner.warning:visible", { timeout: 5_000 }).catch(() => {}); // may be brief
      await finished(page);
      assert.equal((await page.textContent(`${lastTurn} .markdown`))?.trim(), Array.from({ length: 40 }, (_, i) => `w${i}`).join(" "));
      assert.equal(await page.isVisible("#banner"), false);
      await page.close();
    } finally {
      await proxy?.close();
    }
  });

  test("a phone-sized screen: no sideways scrolling, the list behind a menu, chatting works", async () => {
    const { page } = await openConversation({ viewport: { width: 390, height: 844 } });
    const sidebar = page.locator(".sidebar");
    assert.equal(await sidebar.evaluate((s) => s.getBoundingClientRect().right <= 0), true, "the list is off screen");
    await send(page, "[[bash:echo narrow]]");
    // `echo narrow` does not need permission; the tool card and the answer must fit the width.
    await finished(page);
    const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, view: window.innerWidth }));
    assert.ok(widths.page <= widths.view, `page ${widths.page} px wide in a ${widths.view} px view`);
    for (const selector of ["#send", "#input", "#model", ".card.tool"]) {
      const box = await page.locator(selector).first().boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 390 + 0.5, `${selector} fits: ${JSON.stringify(box)}`);
    }
    await page.click("#menu");
    await page.waitForFunction(() => (document.querySelector(".sidebar")?.getBoundingClientRect().left ?? -1) >= 0);
    await page.click("#scrim", { position: { x: 370, y: 400 } });
    await page.waitForFunction(() => (document.querySelector(".sidebar")?.getBoundingClientRect().right ?? 1) <= 0);
    await page.close();
  });
});
