import type { Backend } from "../../agent/backend.js";
import { BackendError, UnknownConversationError } from "../../agent/errors.js";
import type { Messenger } from "./messenger.js";
import type { ChatSettings } from "./store.js";
import { clip, describe } from "./text.js";
import type { Button, ChatRef, CommandSpec, Press, UserRef } from "./types.js";

/** What a command may see and change of its chat. */
export interface CommandContext {
  backend: Backend;
  io: Messenger;
  chat: ChatRef;
  user: UserRef;
  /** The chat's first conversation key ("telegram:12345"); later ones add "@…". */
  baseKey: string;
  settings(): ChatSettings & { key: string };
  update(change: Partial<ChatSettings>): void;
  /** Stops the chat's running turn; false when none runs. */
  stopTurn(): boolean;
  /** Messages waiting behind the running turn. */
  queued(): number;
  log(line: string): void;
}

interface Command extends CommandSpec {
  /** Waits for the chat's running turn to end (it changes the conversation), instead of answering at once. */
  queued: boolean;
  run(ctx: CommandContext, args: string): Promise<void>;
}

const COMMANDS: Command[] = [
  { name: "new", description: "Start a new conversation", queued: true, run: newConversation },
  { name: "stop", description: "Stop the current turn", queued: false, run: stop },
  {
    name: "model",
    description: "Show or choose the model (provider/model)",
    args: "provider/model, or default; leave empty to list the models",
    queued: false,
    run: model,
  },
  { name: "agent", description: "Show or choose the agent", args: "the agent's name; leave empty to list them", queued: false, run: agent },
  { name: "undo", description: "Undo the last turn, files included", queued: true, run: undo },
  { name: "sessions", description: "This chat's conversations", queued: false, run: sessions },
  { name: "help", description: "What this bot does", queued: false, run: help },
];

/** The command menu the adapters register (setMyCommands and the like). */
export const COMMAND_SPECS: CommandSpec[] = COMMANDS.map(({ name, description, args }) => ({
  name,
  description,
  ...(args ? { args } : {}),
}));

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** Runs a command, saying in the chat what went wrong rather than throwing. */
export async function runCommand(command: Command, ctx: CommandContext, args: string): Promise<void> {
  try {
    await command.run(ctx, args.trim());
  } catch (error) {
    if (error instanceof BackendError || error instanceof UnknownConversationError) {
      await say(ctx, `⚠️ ${describe(error)}`).catch(() => {});
      return;
    }
    ctx.log(`/${command.name} failed: ${describe(error)}`);
    await say(ctx, "⚠️ That did not work; pocketpaw's log says why.").catch(() => {});
  }
}

/** Presses of the commands' own buttons (`a:` agent, `s:` session); false when not theirs. */
export async function pressCommandButton(ctx: CommandContext, press: Press): Promise<boolean> {
  const colon = press.data.indexOf(":");
  const [kind, value] = [press.data.slice(0, colon), press.data.slice(colon + 1)];
  if (kind === "a") {
    await press.answer(`Agent: ${value}`);
    await chooseAgent(ctx, value);
    return true;
  }
  if (kind === "s") {
    const key = `${ctx.baseKey}${value}`;
    const record = ctx.backend.get(key);
    if (!record) {
      await press.answer("That conversation is gone.", true);
      return true;
    }
    ctx.update({ conversation: key });
    await press.answer("Switched");
    await say(ctx, `↪️ Back in “${clip(record.title, 80)}”, chosen by ${ctx.user.name}.`);
    return true;
  }
  return false;
}

function say(ctx: CommandContext, text: string, buttons?: Button[][]): Promise<unknown> {
  return ctx.io.send(ctx.chat, { text: ctx.io.markup.escape(text), ...(buttons ? { buttons } : {}) });
}

async function newConversation(ctx: CommandContext): Promise<void> {
  ctx.update({ conversation: `${ctx.baseKey}@${Date.now().toString(36)}` });
  await say(ctx, `🆕 New conversation: the next message starts it. ${ctx.io.command("sessions")} lists the earlier ones.`);
}

async function stop(ctx: CommandContext): Promise<void> {
  const queued = ctx.queued();
  const after = queued ? ` ${queued} queued message${queued === 1 ? "" : "s"} will still be answered.` : "";
  if (ctx.stopTurn()) return void (await say(ctx, `⏹ Stopping the current turn.${after}`));
  // Nothing of ours runs; the server may still be busy with a run another client left.
  const outcome = await ctx.backend.stopRemote(ctx.settings().key);
  await say(ctx, outcome === "stopped" ? "⏹ Stopped what the server was still doing." : "Nothing is running.");
}

async function model(ctx: CommandContext, args: string): Promise<void> {
  const { key, model: current } = ctx.settings();
  if (!args) {
    const { models } = await ctx.backend.models();
    const list = models.slice(0, 30).map((mo) => `• ${mo.id}`);
    const more = models.length > 30 ? `\n… and ${models.length - 30} more` : "";
    return void (await say(
      ctx,
      `Model: ${current || "the configured default"}.\n${list.join("\n")}${more}\n\nChoose one with ${ctx.io.command("model")} provider/model, or ${ctx.io.command("model")} default.`,
    ));
  }
  const chosen = args === "default" ? "" : args;
  const problem = chosen ? await ctx.backend.checkModel(chosen) : undefined;
  if (problem) return void (await say(ctx, `⚠️ ${problem}`));
  ctx.update({ model: chosen });
  ctx.backend.setModel(key, chosen);
  await say(ctx, `Model: ${chosen || "the configured default"}, from the next message on.`);
}

async function agent(ctx: CommandContext, args: string): Promise<void> {
  if (args) return chooseAgent(ctx, args);
  const primary = (await ctx.backend.agents()).filter((a) => a.mode !== "subagent");
  const current = ctx.settings().agent;
  const buttons = primary
    .filter((a) => Buffer.byteLength(`a:${a.name}`) <= ctx.io.adapter.limits.buttonDataBytes)
    .map((a) => [{ label: `${a.name === current ? "✅ " : ""}${a.name}`, data: `a:${a.name}` }]);
  const lines = primary.map((a) => `• ${a.name}${a.description ? `: ${clip(a.description, 100)}` : ""}`);
  await say(ctx, `Agent: ${current || "the server's default"}.\n${lines.join("\n")}`, buttons);
}

async function chooseAgent(ctx: CommandContext, name: string): Promise<void> {
  const known = (await ctx.backend.agents()).filter((a) => a.mode !== "subagent");
  if (!known.some((a) => a.name === name)) {
    return void (await say(ctx, `⚠️ No agent "${clip(name, 60)}"; the agents are ${known.map((a) => a.name).join(", ")}.`));
  }
  ctx.update({ agent: name });
  ctx.backend.setAgent(ctx.settings().key, name);
  await say(ctx, `Agent: ${name}, from the next message on (chosen by ${ctx.user.name}).`);
}

async function undo(ctx: CommandContext): Promise<void> {
  const { key } = ctx.settings();
  if (!ctx.backend.get(key)) return void (await say(ctx, "Nothing to undo yet."));
  const undone = await ctx.backend.undo(key);
  await say(ctx, undone ? "↩️ Undid the last turn, and its changes to files." : "Nothing to undo.");
}

async function sessions(ctx: CommandContext): Promise<void> {
  const { key: current } = ctx.settings();
  const mine = ctx.backend.list().filter((r) => r.key === ctx.baseKey || r.key.startsWith(`${ctx.baseKey}@`));
  if (mine.length === 0) return void (await say(ctx, "No conversation yet: send a message to start one."));
  const shown = mine.slice(0, 10);
  const lines = shown.map(
    (r) =>
      `${r.key === current ? "▶" : "•"} ${clip(r.title, 60)} (${new Date(r.lastUsedAt).toISOString().slice(0, 16).replace("T", " ")} UTC)`,
  );
  const buttons = shown
    .filter((r) => r.key !== current)
    .map((r) => [{ label: clip(r.title, 40), data: `s:${r.key.slice(ctx.baseKey.length)}` }])
    .filter((row) => Buffer.byteLength(row[0]?.data ?? "") <= ctx.io.adapter.limits.buttonDataBytes);
  await say(
    ctx,
    `This chat's conversations, newest first:\n${lines.join("\n")}${buttons.length ? "\n\nPress one to go back to it." : ""}`,
    buttons,
  );
}

async function help(ctx: CommandContext): Promise<void> {
  const lines = COMMANDS.map((c) => `${ctx.io.command(c.name)} — ${c.description}`);
  await say(
    ctx,
    `🐾 pocketpaw: send a message and the coding agent answers here, showing its steps. Files and photos you send go with your message. When the agent asks for permission or asks a question, press a button.\n\n${lines.join("\n")}`,
  );
}
