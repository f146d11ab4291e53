import type { RunOptions } from "../../src/agent/backend.js";
import { type AgentEvent, doneEvent, type QuestionEvent, type Todo } from "../../src/agent/events.js";
import type { ChannelState } from "../../src/channels/index.js";
import { type Dashboard, startDashboard } from "../../src/web/server.js";
import { FakeBackend } from "../support/fake-backend.js";

/**
 * The dashboard on a FakeBackend, for deterministic tests of the page: each message's words pick
 * what the fake run does (`[[question]]`, `[[todo]]`, `[[changes]]`, …), so a test can script
 * exactly the events it needs and see what reached the backend.
 */
export const HOSTILE = `<img src=x onerror="window.__pwned=1">`;

export const QUESTION: QuestionEvent["metadata"]["questions"] = [
  {
    question: "Which colour should the button be?",
    header: "Colour",
    options: [
      { label: "Orange", description: "The brand colour" },
      { label: "Blue", description: "Calmer" },
      { label: HOSTILE, description: `<script>window.__pwned=2</script>` },
    ],
    multiple: false,
  },
];

export const MULTI: QuestionEvent["metadata"]["questions"] = [
  {
    question: "Which files should I format?",
    header: "Files",
    options: [
      { label: "src/a.ts", description: "" },
      { label: "src/b.ts", description: "" },
      { label: "README.md", description: "" },
    ],
    multiple: true,
  },
  {
    question: "Tabs or spaces?",
    header: "Indent",
    options: [
      { label: "Tabs", description: "" },
      { label: "Spaces", description: "" },
    ],
    multiple: false,
  },
];

export const TODOS: Todo[] = [
  { content: "Read the existing styles", status: "completed", priority: "medium" },
  { content: "Pick the button colour with the person", status: "in_progress", priority: "high" },
  { content: `Write the CSS ${HOSTILE}`, status: "pending", priority: "medium" },
  { content: "Drop the old theme", status: "cancelled", priority: "low" },
];

const text = (content: string, partId = "p1"): AgentEvent => ({ type: "message", content, metadata: { partId, messageId: "m1" } });

async function* script(message: string, options: RunOptions, self: FakeBackend): AsyncGenerator<AgentEvent> {
  yield { type: "status", content: "", metadata: { state: "busy" } };
  if (message.includes("[[todo]]")) {
    yield {
      type: "todo",
      content: "",
      metadata: { todos: TODOS.map((t) => ({ ...t, status: t.status === "in_progress" ? "pending" : t.status })) },
    };
    yield { type: "todo", content: "", metadata: { todos: TODOS } };
  }
  for (const [tag, questions] of [
    ["[[question]]", QUESTION],
    ["[[multi]]", MULTI],
  ] as const) {
    if (!message.includes(tag)) continue;
    const id = `que_${self.runs.length}`;
    const tool = { name: "question", callId: `call_${id}` };
    // As OpenCode does: the question tool runs while its question waits.
    yield { type: "tool_use", content: "question", metadata: { ...tool, input: { questions }, summary: "" } };
    yield { type: "question", content: questions[0]?.question ?? "", metadata: { id, sessionId: "ses_1", questions } };
    const answer = await self.answerTo(id);
    yield { type: "tool_result", content: `answered ${JSON.stringify(answer)}`, metadata: { ...tool, isError: answer === "reject" } };
    yield text(`You said ${JSON.stringify(answer)}.`, `answer-${id}`);
  }
  if (message.includes("[[changes]]")) {
    yield text("I changed two files.");
    yield {
      type: "files_changed",
      content: "",
      metadata: {
        files: [
          { path: "src/button.css", additions: 2, deletions: 1 },
          { path: `docs/${HOSTILE}.md`, additions: 1, deletions: 0 },
        ],
      },
    };
  }
  if (message.includes("[[wait]]")) {
    const signal = options.signal;
    if (signal && !signal.aborted) await new Promise((resolve) => signal.addEventListener("abort", resolve));
    yield doneEvent({ stopped: true, failed: false });
    return;
  }
  if (!/\[\[\w+\]\]/.test(message)) yield text(`echo: ${message}`);
  yield {
    type: "token_usage",
    content: "",
    metadata: { input: 1200, output: 80, reasoning: 0, cacheRead: 0, cacheWrite: 0, cost: 0.0042, messageId: "m1" },
  };
  yield doneEvent({ stopped: false, failed: false });
}

/** The diff the fake server has for the last turn. */
export const DIFF = [
  "diff --git a/src/button.css b/src/button.css",
  "--- a/src/button.css",
  "+++ b/src/button.css",
  "@@ -1,3 +1,4 @@",
  " .button {",
  "-  color: grey;",
  "+  color: #e8793a;",
  "+  border-radius: 8px;",
  " }",
  `diff --git a/docs/${HOSTILE}.md b/docs/${HOSTILE}.md`,
  "--- /dev/null",
  `+++ b/docs/${HOSTILE}.md`,
  "@@ -0,0 +1 @@",
  `+${HOSTILE} <script>window.__pwned=3</script>`,
  "",
].join("\n");

export interface FakeStack {
  backend: FakeBackend;
  dashboard: Dashboard;
  url: string;
  close(): Promise<void>;
}

export async function startFakeStack(): Promise<FakeStack> {
  const backend = new FakeBackend(script);
  backend.diffs = { last: DIFF, all: DIFF };
  backend.agents = async () => [
    { name: "build", description: "The default agent", mode: "primary", builtIn: true },
    { name: "plan", description: "Plans without editing", mode: "primary", builtIn: true },
    { name: "docs", description: "Writes documentation", mode: "all", builtIn: false },
    { name: "general", description: "A subagent", mode: "subagent", builtIn: true },
  ];
  backend.commands = async () => [
    { name: "init", description: "Create or update AGENTS.md" },
    { name: "review", description: `Review the changes ${HOSTILE}` },
  ];
  // Two chat channels as `pocketpaw serve` reports them, one with a hostile detail.
  const channels = (): ChannelState[] => [
    { name: "telegram", state: "running", detail: "@pocketpaw_bot" },
    { name: "slack", state: "stopped", detail: HOSTILE },
  ];
  const dashboard = await startDashboard({ backend, host: "127.0.0.1", port: 0, version: "test", channels });
  return { backend, dashboard, url: dashboard.url, close: () => dashboard.close() };
}
