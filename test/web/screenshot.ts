// Takes docs/dashboard.png: the dashboard mid-conversation (Markdown with code, the agent's todo
// list beside the chat, the files a turn changed with one diff unfolded, a question of the agent
// waiting for an answer), against the real OpenCode server and the scripted model.
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

const TODOS =
  "completed:Read the current styles|in_progress:high:Add a dark palette|Switch themes with prefers-color-scheme|Check contrast in both themes";
const CSS = "@media (prefers-color-scheme: dark) {\n  :root { --bg: #0f1115; --text: #e6e8ec; }\n}\n";
const QUESTION = JSON.stringify({
  questions: [
    {
      question: "Which accent colour should the dark theme use?",
      header: "Accent",
      options: [
        { label: "Orange", description: "The brand colour, as in the light theme" },
        { label: "Teal", description: "Calmer on dark backgrounds" },
      ],
      multiple: false,
    },
  ],
});

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
  await send(page, `Add a dark theme to the site [[todo:${TODOS}]][[write:theme.css|${CSS}]][[usage:1840:212]]`, ".turn.finished .files");
  await fetch(`${stack.url}/api/conversations/${encodeURIComponent(key)}`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ title: "A dark theme for the site" }),
  });
  await send(page, `Which accent should it use? [[question:${QUESTION}]]`, ".question"); // and the page reads the new title
  await page.click(".files .changed-file summary");
  await page.waitForSelector(".files pre.diff");
  await page.waitForFunction(() => document.getElementById("title")?.textContent === "A dark theme for the site");
  await page.evaluate(() => {
    for (const bubble of document.querySelectorAll(".bubble"))
      bubble.textContent = (bubble.textContent ?? "").replace(/\s*\[\[[\s\S]*\]\]\s*/g, "").trim();
    document.querySelector(".log")?.scrollTo({ top: 1e6 });
  });
  await page.waitForTimeout(300);
  await page.screenshot({ path: out });
  console.log(`saved ${out}`);
} finally {
  await browser.close();
  await stack.stop();
}
