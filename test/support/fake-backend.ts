import type {
  AgentInfo,
  Backend,
  BackendInfo,
  BackendStatus,
  Check,
  CommandInfo,
  ForgetOutcome,
  ModelCatalog,
  RunOptions,
  ServerHealth,
  Transcript,
} from "../../src/agent/backend.js";
import { BackendError, UnknownConversationError } from "../../src/agent/errors.js";
import { type AgentEvent, doneEvent, type PermissionReply, type QuestionAnswer, type QuestionEvent } from "../../src/agent/events.js";
import { BACKENDS } from "../../src/agent/registry.js";
import { type ConversationRecord, MemorySessionStore } from "../../src/sessions/store.js";

/** What a fake run yields for a message: events, optionally waiting for a reply or a stop between them. */
export type Script = (message: string, options: RunOptions, backend: FakeBackend) => AsyncIterable<AgentEvent>;

/**
 * A Backend with no server behind it, for unit tests of the fronts: each run follows a script,
 * conversations live in memory, and every call the fronts make is recorded.
 */
export class FakeBackend implements Backend {
  readonly place = { serverUrl: "http://fake.test", directory: "" };
  readonly replies: Array<{ id: string; reply: PermissionReply }> = [];
  readonly answers: Array<{ id: string; answer: QuestionAnswer }> = [];
  /** Calls of the conversation operations (undo, redo, fork, compact), in order: "undo web:1". */
  readonly operations: string[] = [];
  readonly runs: Array<{ message: string; options: RunOptions }> = [];
  /** The server's state: undefined = healthy; else what health() throws. */
  down: BackendError | undefined;
  /** What diff() returns (for the last turn, and with `all`). */
  diffs = {
    last: "--- a/notes.md\n+++ b/notes.md\n@@ -1 +1 @@\n-old\n+new\n",
    all: "--- a/notes.md\n+++ b/notes.md\n@@ -1 +1 @@\n-old\n+new\n",
  };
  /** Stored turns per conversation key, for transcript(). */
  readonly transcripts = new Map<string, Transcript["turns"]>();
  private readonly store = new MemorySessionStore();
  /** What undo() and redo() answer: false = nothing to undo or redo. */
  undoable = true;
  private readonly waiting = new Map<string, (reply: PermissionReply) => void>();
  private readonly waitingAnswers = new Map<string, (answer: QuestionAnswer) => void>();

  constructor(private readonly script: Script = echo) {}

  info(): BackendInfo {
    return BACKENDS.opencode;
  }

  async *run(message: string, options: RunOptions = {}): AsyncGenerator<AgentEvent> {
    this.runs.push({ message, options });
    const key = options.sessionKey ?? "cli:default";
    if (!this.store.get({ key, ...this.place })) {
      const now = Date.now();
      this.store.put({
        key,
        ...this.place,
        sessionId: `ses_${this.runs.length}`,
        title: message.slice(0, 60),
        model: options.model ?? "",
        agent: options.agent ?? "",
        createdAt: now,
        lastUsedAt: now,
        lastMessageId: "",
      });
    } else if (options.agent) this.setAgent(key, options.agent); // the agent is remembered for the conversation
    yield* this.script(message, options, this);
  }

  /** Resolves with the reply the front sends to permission request `id` (a question's answer as JSON), even one sent already. */
  replyTo(id: string): Promise<PermissionReply> {
    const given = this.replies.find((r) => r.id === id);
    if (given) return Promise.resolve(given.reply);
    // The answer can come before the script asks: the driver answers while the script waits at its yield.
    const answered = this.answers.find((a) => a.id === id);
    if (answered) return Promise.resolve(JSON.stringify(answered.answer) as PermissionReply);
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  /** Resolves with the answer the front sends to question `id`. */
  answerTo(id: string): Promise<QuestionAnswer> {
    const given = this.answers.find((a) => a.id === id);
    if (given) return Promise.resolve(given.answer);
    return new Promise((resolve) => this.waitingAnswers.set(id, resolve));
  }

  async stop(): Promise<boolean> {
    return false;
  }

  async replyPermission(id: string, reply: PermissionReply): Promise<void> {
    if (id === "per_missing") throw new BackendError("not_found", `No permission request ${id}.`);
    this.replies.push({ id, reply });
    this.waiting.get(id)?.(reply);
  }

  async replyQuestion(id: string, answer: QuestionAnswer): Promise<void> {
    if (id === "que_missing") throw new BackendError("not_found", `No question ${id}.`);
    this.answers.push({ id, answer });
    this.waiting.get(id)?.(JSON.stringify(answer) as PermissionReply);
    this.waitingAnswers.get(id)?.(answer);
  }

  status(): BackendStatus {
    return { backend: "opencode", serverUrl: this.place.serverUrl, eventStreamConnected: true, activeRuns: [] };
  }

  async close(): Promise<void> {}

  list(options: { everywhere?: boolean } = {}): ConversationRecord[] {
    return this.store.list(options.everywhere ? {} : this.place);
  }

  get(key: string): ConversationRecord | undefined {
    return this.store.get({ key, ...this.place });
  }

  rename(key: string, title: string): ConversationRecord {
    const record = this.get(key);
    if (!record) throw new UnknownConversationError(key, this.place.serverUrl);
    this.store.put({ ...record, title });
    return { ...record, title };
  }

  setModel(key: string, model: string): void {
    const record = this.get(key);
    if (record) this.store.put({ ...record, model });
  }

  setAgent(key: string, agent: string): void {
    const record = this.get(key);
    if (record) this.store.put({ ...record, agent });
  }

  async agents(): Promise<AgentInfo[]> {
    return [
      { name: "build", description: "The default agent", mode: "primary", builtIn: true },
      { name: "plan", description: "Plans without editing", mode: "primary", builtIn: true },
      { name: "general", description: "A subagent", mode: "subagent", builtIn: true },
    ];
  }

  async commands(): Promise<CommandInfo[]> {
    return [{ name: "init", description: "Create AGENTS.md" }];
  }

  async diff(key: string, options: { all?: boolean } = {}): Promise<string> {
    this.known(key);
    this.operations.push(`diff ${key}${options.all ? " all" : ""}`);
    return options.all ? this.diffs.all : this.diffs.last;
  }

  async undo(key: string): Promise<boolean> {
    this.known(key);
    this.operations.push(`undo ${key}`);
    return this.undoable;
  }

  async redo(key: string): Promise<boolean> {
    this.known(key);
    this.operations.push(`redo ${key}`);
    return this.undoable;
  }

  async fork(key: string, newKey: string): Promise<ConversationRecord> {
    const record = this.known(key);
    if (this.get(newKey)) throw new BackendError("bad_request", `${newKey} exists already.`);
    this.operations.push(`fork ${key} ${newKey}`);
    const copy = { ...record, key: newKey, sessionId: `${record.sessionId}_fork` };
    this.store.put(copy);
    return copy;
  }

  async compact(key: string): Promise<void> {
    this.known(key);
    this.operations.push(`compact ${key}`);
  }

  private known(key: string): ConversationRecord {
    const record = this.get(key);
    if (!record) throw new UnknownConversationError(key, this.place.serverUrl);
    return record;
  }

  async transcript(key: string): Promise<Transcript> {
    const record = this.get(key);
    if (!record) throw new UnknownConversationError(key, this.place.serverUrl);
    return { conversation: record, turns: this.transcripts.get(key) ?? [], raw: [] };
  }

  async forget(key: string): Promise<ForgetOutcome> {
    if (!this.store.delete({ key, ...this.place })) throw new UnknownConversationError(key, this.place.serverUrl);
    return "kept";
  }

  async stopRemote(): Promise<"stopped" | "idle" | "no_session"> {
    return "idle";
  }

  async models(): Promise<ModelCatalog> {
    return { models: [{ id: "fake/one", name: "One", provider: "Fake" }], defaults: { fake: "one" } };
  }

  async checkModel(model: string): Promise<string | undefined> {
    return model === "fake/one" ? undefined : `No model ${model}.`;
  }

  async health(): Promise<ServerHealth> {
    if (this.down) throw this.down;
    return {
      url: this.place.serverUrl,
      version: "9.9.9",
      protocol: "events",
      support: { status: "unknown", usable: true, summary: "fake" },
    };
  }

  async diagnose(): Promise<Check[]> {
    return [{ name: "server answers", status: "ok", detail: "fake" }];
  }
}

/** The default script: the message echoed as one text chunk, then done. */
export async function* echo(message: string): AsyncGenerator<AgentEvent> {
  yield { type: "message", content: `echo: ${message}`, metadata: { partId: "p1", messageId: "m1" } };
  yield doneEvent({ stopped: false, failed: false });
}

/** Two questions at once, as the channels' button tests ask them: one choice of colour, several sizes. */
export function colourAndSizes(sizes = ["S", "M", "L"]): QuestionEvent {
  return {
    type: "question",
    content: "",
    metadata: {
      id: "que_1",
      sessionId: "s",
      questions: [
        {
          question: "Which colour?",
          header: "Colour",
          options: [
            { label: "Red", description: "warm" },
            { label: "Blue", description: "" },
          ],
          multiple: false,
        },
        { question: "Which sizes?", header: "Sizes", options: sizes.map((label) => ({ label, description: "" })), multiple: true },
      ],
    },
  };
}

/**
 * A backend whose every run asks colourAndSizes' two questions, then says "thanks" (the run driver
 * sends the answer before it asks the run for its next event).
 */
export function askingBackend(sizes?: string[]): FakeBackend {
  const question = colourAndSizes(sizes);
  return new FakeBackend(async function* () {
    yield question;
    yield { type: "message", content: "thanks", metadata: { partId: "p1", messageId: "m1" } };
    yield doneEvent({ stopped: false, failed: false });
  });
}

/** A backend whose every run asks permission for `rm -rf build` (id per_1), then says which reply it got. */
export function permissionBackend(): FakeBackend {
  return new FakeBackend(async function* (_m, _o, self) {
    yield {
      type: "permission_request",
      content: "bash: rm -rf build",
      metadata: { id: "per_1", permission: "bash", patterns: ["rm *"], always: ["rm *"], sessionId: "s" },
    };
    const reply = await self.replyTo("per_1");
    yield { type: "message", content: `reply was ${reply}`, metadata: { partId: "p1", messageId: "m1" } };
    yield doneEvent({ stopped: false, failed: false });
  });
}
