import { BackendError } from "../../agent/errors.js";
import { conversationLines, nextConversationKey } from "../conversations.js";
import { ago } from "../format.js";
import { safeText } from "../safe-text.js";
import { attempt, type ChatCommand, type ChatContext } from "./context.js";

/** Moves the chat to conversation `key`: its remembered agent comes along (a new one keeps the chat's). */
function moveTo(ctx: ChatContext, key: string): void {
  ctx.state.key = key;
  const record = ctx.backend.get(key);
  if (record) ctx.state.agent = record.agent;
}

/** The chat's commands about conversations: which one, and what happened in it. */
export const CONVERSATION_COMMANDS: ChatCommand[] = [
  {
    name: "new",
    args: "[KEY]",
    help: "start a new conversation (KEY defaults to the next cli:N)",
    run(ctx, arg) {
      const key = arg || nextConversationKey(ctx.backend.list());
      if (ctx.backend.get(key)) return ctx.say(`${key} already exists: /switch ${key} continues it.`);
      moveTo(ctx, key);
      ctx.say(`New conversation ${ctx.renderer.colors.cyan(key)}: it starts with your next message.`);
    },
  },
  {
    name: "sessions",
    args: "",
    help: "list the conversations remembered for this server and directory",
    run(ctx) {
      const records = ctx.backend.list();
      if (records.length === 0) return ctx.say("No conversations yet: the first message starts one.");
      for (const line of conversationLines(records, ctx.renderer.colors, { current: ctx.state.key })) ctx.say(line);
    },
  },
  {
    name: "switch",
    args: "KEY",
    help: "continue conversation KEY (as listed by /sessions; `2` means cli:2)",
    run(ctx, arg) {
      if (!arg) return ctx.say("Which one? /switch KEY; /sessions lists them.");
      const known = new Set(ctx.backend.list().map((r) => r.key));
      const key = !known.has(arg) && known.has(`cli:${arg}`) ? `cli:${arg}` : arg;
      moveTo(ctx, key);
      const record = ctx.backend.get(key);
      const c = ctx.renderer.colors;
      const agent = record?.agent ? ` · agent ${safeText(record.agent)}` : "";
      if (record) ctx.say(`Switched to ${c.cyan(key)}: "${safeText(record.title)}" (last used ${ago(record.lastUsedAt)})${agent}.`);
      else ctx.say(`${c.cyan(key)} is a new conversation: it starts with your next message.`);
    },
  },
  {
    name: "fork",
    args: "[NEWKEY]",
    help: "continue a copy of this conversation as NEWKEY (default the next cli:N), and switch to it",
    async run(ctx, arg) {
      const from = ctx.state.key;
      const key = arg || nextConversationKey(ctx.backend.list());
      if (ctx.backend.get(key)) return ctx.say(`${key} already exists: /fork another key.`);
      await attempt(ctx, "fork", async () => {
        const record = await ctx.backend.fork(from, key);
        moveTo(ctx, key);
        const c = ctx.renderer.colors;
        ctx.say(
          `Forked ${from} into ${c.cyan(key)} (session ${safeText(record.sessionId)}); you are in ${key} now, /switch ${from} goes back.`,
        );
      });
    },
  },
  {
    name: "undo",
    args: "",
    help: "revert the last turn on the server, and the changes it made to files",
    async run(ctx) {
      const key = ctx.state.key;
      await attempt(ctx, "undo", async () => {
        if (await ctx.backend.undo(key)) ctx.say(`Undid the last turn of ${key}, and its changes to files: /redo brings it back.`);
        else ctx.say(`Nothing to undo in ${key}.`);
      });
    },
  },
  {
    name: "redo",
    args: "",
    help: "restore what /undo reverted",
    async run(ctx) {
      const key = ctx.state.key;
      await attempt(ctx, "redo", async () => {
        if (await ctx.backend.redo(key)) ctx.say(`Redid the turn of ${key} that /undo reverted, and its changes to files.`);
        else ctx.say(`Nothing to redo in ${key}.`);
      });
    },
  },
  {
    name: "compact",
    args: "",
    help: "have the server summarise this conversation so that it takes less context",
    async run(ctx) {
      const key = ctx.state.key;
      ctx.say(ctx.renderer.colors.dim(`Compacting ${key} on the server (the model writes a summary)…`));
      await attempt(ctx, "compact", async () => {
        await ctx.backend.compact(key);
        ctx.say(`Compacted ${key}: its next turns start from the summary.`);
      });
    },
  },
  {
    name: "stop",
    args: "",
    help: "stop whatever the server still runs in this conversation (e.g. left by another client)",
    async run(ctx) {
      const record = ctx.backend.get(ctx.state.key);
      try {
        const outcome = await ctx.backend.stopRemote(ctx.state.key);
        if (outcome === "no_session" || !record) return ctx.say("Nothing to stop: this conversation has no OpenCode session yet.");
        if (outcome === "idle") return ctx.say(`Nothing is running in ${ctx.state.key} (session ${record.sessionId}).`);
        ctx.say(`Stopped the run of ${ctx.state.key} on the server (session ${record.sessionId}).`);
      } catch (error) {
        if (!(error instanceof BackendError)) throw error;
        ctx.say(`Could not stop it: ${safeText(error.message)}`);
      }
    },
  },
];
