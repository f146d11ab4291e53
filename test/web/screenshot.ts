// Takes docs/dashboard.png: the dashboard mid-conversation (Markdown with code, reasoning, a tool
// card, a permission question waiting), against the real OpenCode server and the scripted model.
//
//   node --import tsx test/web/screenshot.ts [out.png]
//
// The scripted model is steered by `[[…]]` directives in the prompts; they are test scaffolding,
// not something a person types, so they are taken out of the message bubbles before the picture.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { launchBrowser } from "./browser.js";
import { startWebStack } from "./harness.js";
import type { PageDocument } from "./page-dom.js";

// In page.evaluate() callbacks only (see page-dom.ts).
declare const document: PageDocument;

const out = process.argv[2] ?? fileURLToPath(new URL("../../docs/dashboard.png", import.meta.url));

const ANSWER = `Sure. Node reads a file in one call with \`fs/promises\`:

\`\`\`ts
import { readFile } from "node:fs/promises";

const text = await readFile("package.json", "utf8");
console.log(JSON.parse(text).name);
\`\`\`

- **utf8** gives a string instead of a Buffer
- it rejects with \`ENOENT\` when the file is missing`;

async function send(page: Page, text: string, waitFor: string): Promise<void> {
  await page.fill("#input", text);
  await page.press("#input", "Enter");
  await page.waitForSelector(waitFor, { timeout: 30_000 });
}

const { version } = createRequire(import.meta.url)("../../package.json") as { version: string };
const stack = await startWebStack({ version });
const browser = await launchBrowser();
try {
  const page = await browser.page({ width: 1280, height: 1080 });
  const key = "web:docs";
  await page.goto(`${stack.url}/#${encodeURIComponent(key)}`);
  await page.waitForSelector("body[data-ready]");
  await send(page, `How do I read a file in Node? [[reply:${ANSWER}]][[usage:1840:212]]`, ".turn.finished");
  await send(page, "What is in this project? [[think:I should list the folder before answering.]][[bash:ls -la]][[usage:2310:96]]", ".turn:nth-child(2).finished");
  await send(page, "Now add a README [[bash:echo ask: create README.md]]", ".permission");
  await fetch(`${stack.url}/api/conversations/${encodeURIComponent(key)}`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ title: "Reading files in Node" }),
  });
  await page.reload(); // the new title; the waiting turn is followed again from its start
  await page.waitForSelector(".permission");
  await page.evaluate(() => {
    for (const bubble of document.querySelectorAll(".bubble")) bubble.textContent = (bubble.textContent ?? "").replace(/\s*\[\[[\s\S]*\]\]\s*/g, "").trim();
    document.querySelector(".log")?.scrollTo({ top: 1e6 });
  });
  await page.waitForTimeout(300);
  await page.screenshot({ path: out });
  console.log(`saved ${out}`);
} finally {
  await browser.close();
  await stack.stop();
}
