import { randomBytes } from "node:crypto";
import type { PermissionReply, PermissionRequestEvent, Question, QuestionAnswer, QuestionEvent } from "../../agent/events.js";
import type { PermissionAnswer } from "../../agent/run-driver.js";
import type { Messenger } from "./messenger.js";
import { clip } from "./text.js";
import type { Button, ChatRef, MessageRef, Press } from "./types.js";

const PERMISSION_BUTTONS: Array<{ label: string; code: string; reply: PermissionReply; done: string }> = [
  { label: "Allow once", code: "o", reply: "once", done: "✅ Allowed once" },
  { label: "Always", code: "a", reply: "always", done: "✅ Always allowed" },
  { label: "Reject", code: "r", reply: "reject", done: "❌ Rejected" },
];

interface PendingPermission {
  kind: "permission";
  /** Pending from before the message is sent: a press may come back before the send's answer does. */
  ref: Promise<MessageRef>;
  text: string;
  resolve(answer: PermissionAnswer): void;
}

interface PendingQuestion {
  kind: "question";
  /** Where it was asked: a message typed there answers it (see typed()). */
  chat: ChatRef;
  ref: Promise<MessageRef>;
  questions: Question[];
  index: number;
  chosen: Set<number>;
  answers: string[][];
  /** What was answered so far, one rendered line per question. */
  record: string[];
  resolve(answer: QuestionAnswer): void;
}

type Pending = PendingPermission | PendingQuestion;

/**
 * Permission requests and questions of the agent, asked in the chat with buttons and answered
 * by whoever (allowed) presses one first, or, for a question, types an answer of their own in
 * that chat; the message then says who answered what. A prompt whose turn is stopped is closed
 * and refused. Button data: `p:<id>:<o|a|r>`, `q:<id>:<n|d|r>:<question>`,
 * with ids that differ across restarts, so a button of a previous run of pocketpaw is only "expired".
 */
export class Prompts {
  private readonly pending = new Map<string, Pending>();
  private readonly boot = randomBytes(3).toString("base64url");
  private counter = 0;

  constructor(private readonly io: Messenger) {}

  async permission(chat: ChatRef, event: PermissionRequestEvent, signal: AbortSignal): Promise<PermissionAnswer> {
    const m = this.io.markup;
    const { permission, always } = event.metadata;
    const lines = [`🔐 ${m.bold(`Allow ${m.escape(permission)}?`)}`, m.code(clip(event.content, 500))];
    if (always.length) lines.push(m.italic(m.escape(`"Always" allows from now on: ${clip(always.join(", "), 200)}`)));
    const text = lines.join("\n");
    const id = this.nextId();
    const buttons = [PERMISSION_BUTTONS.map((b) => ({ label: b.label, data: `p:${id}:${b.code}` }))];
    return new Promise((resolve, reject) => {
      const ref = this.io.send(chat, { text, buttons });
      this.pending.set(id, { kind: "permission", ref, text, resolve });
      ref.catch((error) => {
        this.pending.delete(id);
        reject(error);
      });
      this.onAbort(signal, id, () => resolve({ reply: "reject", how: "the turn was stopped" }));
    });
  }

  async question(chat: ChatRef, event: QuestionEvent, signal: AbortSignal): Promise<QuestionAnswer> {
    const id = this.nextId();
    const questions = event.metadata.questions;
    if (questions.length === 0) return [];
    const entry = { kind: "question" as const, chat, questions, index: 0, chosen: new Set<number>(), answers: [], record: [] };
    return new Promise((resolve, reject) => {
      const ref = this.io.send(chat, this.questionMessage(id, entry));
      this.pending.set(id, { ...entry, ref, resolve });
      ref.catch((error) => {
        this.pending.delete(id);
        reject(error);
      });
      this.onAbort(signal, id, () => resolve("reject"));
    });
  }

  /** Handles a press of a prompt's button; false when the data is not a prompt's. */
  async press(press: Press): Promise<boolean> {
    const [kind, id, choice, step] = press.data.split(":");
    if ((kind !== "p" && kind !== "q") || !id || !choice) return false;
    const entry = this.pending.get(id);
    if (!entry || entry.kind !== (kind === "p" ? "permission" : "question")) {
      await press.answer("This request is no longer waiting for an answer.", true);
      return true;
    }
    if (entry.kind === "permission") await this.answerPermission(id, entry, choice, press);
    else if (Number(step) !== entry.index) await press.answer("That question was answered already.", true);
    else await this.answerQuestion(id, entry, choice, press);
    return true;
  }

  private async answerPermission(id: string, entry: PendingPermission, choice: string, press: Press): Promise<void> {
    const button = PERMISSION_BUTTONS.find((b) => b.code === choice);
    if (!button) return press.answer();
    this.pending.delete(id);
    entry.resolve({ reply: button.reply, how: `by ${press.user.name}` });
    await press.answer(button.done.slice(2));
    await this.close(entry.ref, `${entry.text}\n\n${this.io.markup.escape(`${button.done} by ${press.user.name}`)}`);
  }

  private async answerQuestion(id: string, entry: PendingQuestion, choice: string, press: Press): Promise<void> {
    const m = this.io.markup;
    const question = entry.questions[entry.index] as Question;
    if (choice === "r") {
      this.pending.delete(id);
      entry.resolve("reject");
      await press.answer("Rejected");
      return this.close(
        entry.ref,
        [...entry.record, m.escape(`❌ ${question.header || question.question}: rejected by ${press.user.name}`)].join("\n"),
      );
    }
    const option = /^\d+$/.test(choice) ? question.options[Number(choice)] : undefined;
    if (option && question.multiple) {
      // A toggle: the answer is given with Done.
      if (!entry.chosen.delete(Number(choice))) entry.chosen.add(Number(choice));
      await press.answer();
      return this.io.edit(await entry.ref, this.questionMessage(id, entry));
    }
    if (!option && choice !== "d") return press.answer();
    const labels = option ? [option.label] : [...entry.chosen].sort((a, b) => a - b).map((i) => question.options[i]?.label ?? "");
    await press.answer(labels.join(", ") || "Done");
    return this.choose(id, entry, labels, press.user.name);
  }

  /**
   * A message typed in a chat where a question waits: the answer, in the person's own words, to
   * the question being asked (OpenCode takes any text as an answer). False when none waits there.
   */
  async typed(chat: ChatRef, text: string, user: { name: string }): Promise<boolean> {
    const waiting = this.questionIn(chat);
    if (!waiting || !text.trim()) return false;
    await this.choose(waiting[0], waiting[1], [text.trim()], user.name);
    return true;
  }

  /** Whether a question waits for an answer in this chat (a message typed there then answers it). */
  asking(chat: ChatRef): boolean {
    return this.questionIn(chat) !== undefined;
  }

  private questionIn(chat: ChatRef): [string, PendingQuestion] | undefined {
    for (const [id, entry] of this.pending) if (entry.kind === "question" && entry.chat.id === chat.id) return [id, entry];
    return undefined;
  }

  /** The current question is answered with these labels: on to the next, or done. */
  private async choose(id: string, entry: PendingQuestion, labels: string[], who: string): Promise<void> {
    const question = entry.questions[entry.index] as Question;
    const shown = clip(labels.join(", "), 200) || "(nothing)";
    entry.answers.push(labels);
    entry.record.push(this.io.markup.escape(`✅ ${question.header || question.question}: ${shown} — ${who}`));
    entry.index++;
    entry.chosen.clear();
    if (entry.index < entry.questions.length) return this.io.edit(await entry.ref, this.questionMessage(id, entry));
    this.pending.delete(id);
    entry.resolve(entry.answers);
    return this.close(entry.ref, entry.record.join("\n"));
  }

  private questionMessage(id: string, entry: Omit<PendingQuestion, "ref" | "resolve">): { text: string; buttons: Button[][] } {
    const m = this.io.markup;
    const q = entry.questions[entry.index] as Question;
    const count = entry.questions.length > 1 ? ` (${entry.index + 1}/${entry.questions.length})` : "";
    const lines = [...entry.record, `❓ ${m.bold(m.escape(`${q.header || "Question"}${count}`))}`, m.escape(q.question)];
    const described = q.options.filter((o) => o.description);
    if (described.length) lines.push(...described.map((o) => m.escape(`• ${o.label}: ${clip(o.description, 200)}`)));
    lines.push(m.italic(q.multiple ? "Choose any, then Done, or type your own answer." : "Choose one, or type your own answer."));
    // The question's number is in the data: a late second tap must not answer the next question.
    const data = (choice: string | number) => `q:${id}:${choice}:${entry.index}`;
    const buttons: Button[][] = q.options.map((o, i) => [
      { label: `${q.multiple && entry.chosen.has(i) ? "✅ " : ""}${clip(o.label, 60)}`, data: data(i) },
    ]);
    buttons.push([...(q.multiple ? [{ label: "Done", data: data("d") }] : []), { label: "Reject", data: data("r") }]);
    return { text: lines.join("\n"), buttons };
  }

  private onAbort(signal: AbortSignal, id: string, refuse: () => void): void {
    const stop = () => {
      const entry = this.pending.get(id);
      if (!entry) return;
      this.pending.delete(id);
      refuse();
      const shown = entry.kind === "permission" ? entry.text : entry.record.join("\n");
      this.close(entry.ref, `${shown}\n\n${this.io.markup.escape("⏹ Not answered: the turn was stopped.")}`.trim()).catch(() => {});
    };
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
  }

  /** The prompt's final text, without buttons. */
  private async close(ref: Promise<MessageRef>, text: string): Promise<void> {
    await this.io.edit(await ref, { text, buttons: [] });
  }

  private nextId(): string {
    this.counter++;
    return `${this.boot}${this.counter.toString(36)}`;
  }
}
