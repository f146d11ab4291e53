import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { AgentEvent } from "../../src/agent/events.js";
import { sinceEarlier } from "../../src/opencode/backend/changes.js";
import type { OcEvent, OcPart } from "../../src/opencode/rest/wire.js";
import { ChangedFiles, diffText, mergeChanges } from "../../src/opencode/translate/changed-files.js";
import { TurnTranslator } from "../../src/opencode/translate/translate.js";
import { countChanges, diffHunks, normalisePatch, unifiedDiff } from "../../src/opencode/translate/unified-diff.js";

// The events below are shaped as OpenCode 1.18.33 sent them (measured with a fake model calling
// the question, todowrite, write and edit tools); 1.2.6 sends the same, without the payload `id`.
const SES = "ses_parent";
const CHILD = "ses_child";
const USER = "msg_0001user";
const ASSIST = "msg_0002assistant";
const DIR = "/tmp/project";

const user: OcEvent = { type: "message.updated", properties: { sessionID: SES, info: { id: USER, sessionID: SES, role: "user" } } };
const assistant: OcEvent = {
  type: "message.updated",
  properties: { sessionID: SES, info: { id: ASSIST, sessionID: SES, role: "assistant", parentID: USER, path: { cwd: DIR, root: "/" } } },
};
const asked = (id: string, sessionID: string, multiple?: boolean): OcEvent => ({
  type: "question.asked",
  properties: {
    id,
    sessionID,
    questions: [
      {
        question: "Which colour?",
        header: "Colour",
        options: [{ label: "red", description: "warm" }, { label: "blue" }],
        ...(multiple ? { multiple } : {}),
      },
    ],
    tool: { messageID: ASSIST, callID: "call_2" },
  },
});
const tool = (id: string, name: string, state: Record<string, unknown>): OcEvent => ({
  type: "message.part.updated",
  properties: { sessionID: SES, part: { id, messageID: ASSIST, sessionID: SES, type: "tool", tool: name, callID: id, state } },
});

function run(events: OcEvent[]): { translator: TurnTranslator; out: AgentEvent[] } {
  const translator = new TurnTranslator({ sessionId: SES, userMessageId: USER });
  const out = events.flatMap((e) => translator.handle(e));
  return { translator, out };
}

describe("the translator's question and todo events", () => {
  test("question.asked becomes one question event, normalised, with a one-line summary", () => {
    const { out } = run([user, assistant, asked("que_1", SES)]);
    const [question] = out.filter((e) => e.type === "question");
    assert.ok(question?.type === "question");
    assert.equal(question.content, "OpenCode asks: Which colour? (red / blue)");
    assert.deepEqual(question.metadata, {
      id: "que_1",
      sessionId: SES,
      questions: [
        {
          question: "Which colour?",
          header: "Colour",
          options: [
            { label: "red", description: "warm" },
            { label: "blue", description: "" },
          ],
          multiple: false,
        },
      ],
    });
  });

  test("a subagent's question is marked as the subagent's; a question seen again (pending after a gap) is not repeated", () => {
    const { translator, out } = run([user, assistant, asked("que_2", CHILD, true)]);
    const [question] = out.filter((e) => e.type === "question");
    assert.ok(question?.type === "question");
    assert.deepEqual(question.metadata.subagent, { sessionId: CHILD });
    assert.equal(question.metadata.sessionId, CHILD);
    assert.equal(question.metadata.questions[0]?.multiple, true);
    const pending = [asked("que_2", CHILD).properties, asked("que_3", CHILD).properties, asked("que_other", "ses_elsewhere").properties];
    const again = translator.pendingQuestions(pending as never);
    assert.deepEqual(
      again.map((e) => e.type === "question" && e.metadata.id),
      ["que_3"],
      "only the new one of this run's sessions",
    );
  });

  test("todo.updated becomes the whole list, with its progress in one line", () => {
    const todos = [
      { content: "a thing", status: "completed", priority: "high" },
      { content: "b", status: "in_progress", priority: "low" },
      { content: "c", status: "pending", priority: "medium" },
    ];
    const { out } = run([user, assistant, { type: "todo.updated", properties: { sessionID: SES, todos } }]);
    const [todo] = out.filter((e) => e.type === "todo");
    assert.ok(todo?.type === "todo");
    assert.deepEqual(todo.metadata.todos, todos);
    assert.equal(todo.content, "Todo list: 1 of 3 done; now: b");
  });
});

describe("the files a turn's tools changed", () => {
  test("write and edit parts: paths relative to the project, counts from the edit's filediff, a new file counted by lines", () => {
    const { translator } = run([
      user,
      assistant,
      tool("t1", "write", {
        status: "completed",
        input: { filePath: "notes.md", content: "one\ntwo\nthree\n" },
        metadata: { filepath: `${DIR}/notes.md`, exists: false },
      }),
      tool("t2", "edit", {
        status: "completed",
        input: { filePath: `${DIR}/notes.md`, oldString: "two", newString: "TWO\nmore" },
        metadata: {
          diff: `Index: ${DIR}/notes.md\n===\n--- ${DIR}/notes.md\n+++ ${DIR}/notes.md\n@@ -1,3 +1,4 @@\n one\n-two\n+TWO\n+more\n three\n`,
          filediff: {
            file: `${DIR}/notes.md`,
            patch: `--- x\n+++ x\n@@ -1,3 +1,4 @@\n one\n-two\n+TWO\n+more\n three\n`,
            additions: 2,
            deletions: 1,
          },
        },
      }),
      tool("t3", "edit", { status: "error", input: { filePath: "other.md" }, error: "no such file" }),
      tool("t4", "read", { status: "completed", input: { filePath: "notes.md" }, output: "…" }),
    ]);
    const files = translator.changes.list();
    assert.deepEqual(
      files.map(({ path, additions, deletions }) => ({ path, additions, deletions })),
      [{ path: "notes.md", additions: 5, deletions: 1 }],
    );
    assert.equal(
      diffText(files),
      "--- /dev/null\n+++ b/notes.md\n@@ -0,0 +1,3 @@\n+one\n+two\n+three\n--- a/notes.md\n+++ b/notes.md\n@@ -1,3 +1,4 @@\n one\n-two\n+TWO\n+more\n three\n",
    );
  });

  test("1.2's filediff (before/after) and a file written over (its old text unknown)", () => {
    const changes = new ChangedFiles(DIR);
    const part = (tool: string, state: Record<string, unknown>) =>
      ({ id: tool, messageID: ASSIST, sessionID: SES, type: "tool", tool, state }) as unknown as OcPart;
    changes.noteTool(
      part("edit", {
        status: "completed",
        input: { filePath: "a.txt" },
        metadata: { filediff: { file: `${DIR}/a.txt`, before: "a\nb\nc\n", after: "a\nB\nc\n", additions: 1, deletions: 1 } },
      }),
    );
    changes.noteTool(
      part("write", { status: "completed", input: { filePath: `${DIR}/b.txt`, content: "x\ny\n" }, metadata: { exists: true } }),
    );
    assert.deepEqual(
      changes.list().map((c) => [c.path, c.additions, c.deletions]),
      [
        ["a.txt", 1, 1],
        ["b.txt", 2, 0],
      ],
    );
    assert.equal(
      diffText(changes.list()),
      "--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\nb.txt: written over (2 lines); its earlier text is not known\n",
    );
  });

  test("the server's changes come first; the tools add only the files it does not list", () => {
    const tools = new ChangedFiles(DIR);
    const server = [
      tools.fromEntry({ file: "src/notes.md", patch: "@@ -1 +1 @@\n-a\n+b\n", additions: 1, deletions: 1 }, undefined),
    ].flatMap((c) => c ?? []);
    const fromTools = [
      { path: "notes.md", additions: 9, deletions: 0, diff: "" },
      { path: "new.md", additions: 3, deletions: 0, diff: "" },
    ];
    assert.deepEqual(
      mergeChanges(server, fromTools).map((c) => [c.path, c.additions]),
      [
        ["src/notes.md", 1],
        ["new.md", 3],
      ],
    );
  });
});

describe("a turn's diff on 1.2.6, which can repeat earlier turns' files", () => {
  test("an entry the previous turn showed as is is left out; a file changed again starts where that turn left it", () => {
    // As 1.2.6 gave it after losing a snapshot: turn 1 edited old.txt; turn 2 notes.md, then old.txt again.
    const turn1 = [{ file: "old.txt", before: "a\nb\nc\n", after: "a\nB\nc\n", additions: 1, deletions: 1, status: "modified" }];
    const turn2 = [
      { file: "notes.md", before: "one\n", after: "ONE\n", additions: 1, deletions: 1, status: "modified" },
      { file: "old.txt", before: "a\nb\nc\n", after: "a\nB\nC\n", additions: 2, deletions: 2, status: "modified" },
    ];
    assert.deepEqual(sinceEarlier(turn1, turn1), []);
    const only2 = sinceEarlier(turn2, turn1);
    assert.deepEqual(only2[1], { file: "old.txt", before: "a\nB\nc\n", after: "a\nB\nC\n", status: "modified" });
    const changes = new ChangedFiles();
    assert.deepEqual(
      only2.map((d) => changes.fromEntry(d, d.file)).map((c) => [c?.path, c?.additions, c?.deletions]),
      [
        ["notes.md", 1, 1],
        ["old.txt", 1, 1],
      ],
    );
    // Per-turn patches (1.14 and later) never repeat: nothing is taken away.
    const patches = [{ file: "a", patch: "@@ -1 +1 @@\n-x\n+y\n" }];
    assert.deepEqual(sinceEarlier(patches, [{ file: "a", patch: "@@ -1 +1 @@\n-w\n+x\n" }]), patches);
  });
});

describe("unified diffs", () => {
  test("hunks with three lines of context; far apart changes get two hunks", () => {
    const before = `${Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join("\n")}\n`;
    const after = before.replace("line 2\n", "line two\n").replace("line 18\n", "");
    assert.equal(
      diffHunks(before, after),
      "@@ -1,5 +1,5 @@\n line 1\n-line 2\n+line two\n line 3\n line 4\n line 5\n@@ -15,6 +15,5 @@\n line 15\n line 16\n line 17\n-line 18\n line 19\n line 20\n",
    );
    assert.deepEqual(countChanges(before, after), { additions: 1, deletions: 2 });
  });

  test("a new file, a deleted file, no change", () => {
    assert.equal(unifiedDiff("n.txt", "", "a\nb\n", "added"), "--- /dev/null\n+++ b/n.txt\n@@ -0,0 +1,2 @@\n+a\n+b\n");
    assert.equal(unifiedDiff("d.txt", "a\n", "", "deleted"), "--- a/d.txt\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-a\n");
    assert.equal(unifiedDiff("same.txt", "a\n", "a\n"), "");
  });

  test("OpenCode's own patches keep their hunks under pocketpaw's headers", () => {
    const patch =
      "Index: notes.md\n===================================================================\n--- notes.md\t\n+++ notes.md\t\n@@ -0,0 +1,2 @@\n+one\n+two\n";
    assert.equal(normalisePatch("notes.md", patch, "added"), "--- /dev/null\n+++ b/notes.md\n@@ -0,0 +1,2 @@\n+one\n+two\n");
  });
});
