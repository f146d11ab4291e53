import type { ChangedFile, Question, QuestionAnswer, Todo } from "../agent/events.js";
import type { Colors } from "./colors.js";
import { safeText } from "./safe-text.js";

/**
 * The lines the terminal shows for a question, a todo list, the files a turn changed and a diff.
 * Everything in them comes from the model or the server: each string is made safe here.
 */

/** Whether the terminal can show symbols beyond ASCII: its locale says UTF-8 (or says nothing, as Node writes UTF-8). */
export function unicodeWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG;
  return locale ? /utf-?8/i.test(locale) : true;
}

const TODO_MARKS: Record<string, [unicode: string, ascii: string]> = {
  pending: ["☐", "[ ]"],
  in_progress: ["◐", "[~]"],
  completed: ["☑", "[x]"],
  cancelled: ["✗", "[-]"],
};

/** The todo list as a compact checklist: a count, then one line per item. */
export function todoLines(todos: Todo[], c: Colors, unicode: boolean): string[] {
  if (todos.length === 0) return [c.dim("todo: (empty)")];
  const done = todos.filter((t) => t.status === "completed").length;
  const lines = [c.dim(`todo · ${done}/${todos.length} done`)];
  for (const todo of todos) {
    const marks = TODO_MARKS[todo.status];
    const mark = marks ? marks[unicode ? 0 : 1] : unicode ? "?" : "[?]";
    const text = safeText(todo.content);
    if (todo.status === "completed") lines.push(`  ${c.green(mark)} ${c.dim(text)}`);
    else if (todo.status === "in_progress") lines.push(`  ${c.yellow(mark)} ${c.bold(text)}`);
    else if (todo.status === "cancelled") lines.push(`  ${c.dim(`${mark} ${text}`)}`);
    else lines.push(`  ${mark} ${text}`);
  }
  return lines;
}

/** One line per changed file: `M path +3 −1`. */
export function changedFileLines(files: ChangedFile[], c: Colors, unicode: boolean): string[] {
  const minus = unicode ? "−" : "-";
  return files.map((f) => `${c.yellow("M")} ${safeText(f.path)} ${c.green(`+${f.additions}`)} ${c.red(`${minus}${f.deletions}`)}`);
}

/** A question of the agent: its header and text, then its options numbered from 1. */
export function questionLines(question: Question, c: Colors, position?: { n: number; of: number }): string[] {
  const count = position && position.of > 1 ? c.dim(`(${position.n}/${position.of}) `) : "";
  const header = question.header.trim() ? `${c.bold(safeText(question.header.trim()))}: ` : "";
  const several = question.multiple ? c.dim(" (one or more)") : "";
  const lines = [`${c.yellow("?")} ${count}${header}${safeText(question.question)}${several}`];
  question.options.forEach((option, i) => {
    const description = option.description.trim() ? c.dim(` — ${safeText(option.description.trim())}`) : "";
    lines.push(`  ${c.bold(`${i + 1}.`)} ${safeText(option.label)}${description}`);
  });
  return lines;
}

/** What was answered, for the line under a question. */
export function answerSummary(answer: QuestionAnswer): string {
  if (answer === "reject") return "rejected";
  return answer.map((labels) => labels.map(safeText).join(", ")).join(" · ");
}

/**
 * The person's answer to one question, from what they typed: option numbers (`2`, or `1,3` when
 * several may be chosen), or their own words. Nothing typed picks the first option.
 */
export function parseAnswer(question: Question, typed: string): { labels: string[] } | { error: string } {
  const text = typed.trim();
  const options = question.options;
  if (!text) return options[0] ? { labels: [options[0].label] } : { error: "Type an answer (there are no options to pick)." };
  if (!/^\d+(\s*[, ]\s*\d+)*$/.test(text)) return { labels: [text] };
  const numbers = [...new Set(text.split(/[\s,]+/).map(Number))];
  if (options.length === 0) return { labels: [text] };
  const outside = numbers.find((n) => n < 1 || n > options.length);
  if (outside !== undefined) return { error: `There is no option ${outside}: pick 1–${options.length}, or type an answer.` };
  if (numbers.length > 1 && !question.multiple) return { error: "Only one option can be chosen here." };
  return { labels: numbers.map((n) => options[n - 1]?.label ?? "") };
}

/** A unified diff for the terminal: added lines green, removed red, hunks cyan, file headers bold. */
export function diffLines(diff: string, c: Colors): string[] {
  return diff
    .replace(/\n$/, "")
    .split("\n")
    .map((raw) => {
      const line = safeText(raw);
      if (line.startsWith("+++") || line.startsWith("---") || line.startsWith("diff ") || line.startsWith("Index: ")) return c.bold(line);
      if (line.startsWith("+")) return c.green(line);
      if (line.startsWith("-")) return c.red(line);
      if (line.startsWith("@@")) return c.cyan(line);
      return line;
    });
}
