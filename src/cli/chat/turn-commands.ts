import { homedir } from "node:os";
import { BackendError } from "../../agent/errors.js";
import { parseModel } from "../../config/settings.js";
import { AttachmentError, describeAttachment, readAttachment } from "../attachments.js";
import { columns } from "../format.js";
import { safeText } from "../safe-text.js";
import { checkAgent, primaryAgents } from "../server-names.js";
import { attempt, type ChatCommand, type ChatContext } from "./context.js";

/** The chat's commands about what the next turns use: model, agent, attached files. */
export const TURN_COMMANDS: ChatCommand[] = [
  {
    name: "model",
    args: "[PROVIDER/MODEL|default]",
    help: "show or change the model of the next turns",
    async run(ctx, arg) {
      const c = ctx.renderer.colors;
      if (!arg) return ctx.say(`Model: ${ctx.state.model || "the server's default"}. /model PROVIDER/MODEL changes it.`);
      if (arg === "default") {
        ctx.state.model = "";
        return ctx.say("Model: the server's default from now on.");
      }
      if (!parseModel(arg)) return ctx.say(`"${safeText(arg)}" is not a model: expected provider/model, e.g. anthropic/claude-sonnet-4.`);
      try {
        const problem = await ctx.backend.checkModel(arg);
        if (problem) return ctx.say(safeText(problem));
      } catch (error) {
        if (!(error instanceof BackendError)) throw error;
        ctx.say(c.dim(`(Could not check the model on the server: ${safeText(error.message)})`));
      }
      ctx.state.model = arg;
      ctx.backend.setModel(ctx.state.key, arg);
      ctx.say(`Model: ${c.bold(arg)} from the next turn on.`);
    },
  },
  {
    name: "agent",
    args: "[NAME|default]",
    help: "list the server's agents, or change the one that answers (remembered for the conversation)",
    async run(ctx, arg) {
      const c = ctx.renderer.colors;
      if (!arg) return listAgents(ctx);
      if (arg === "default") {
        ctx.state.agent = "";
        ctx.backend.setAgent(ctx.state.key, "");
        return ctx.say("Agent: the server's default from now on.");
      }
      const problem = await checkAgent(ctx.backend, arg);
      if (problem) return ctx.say(problem);
      ctx.state.agent = arg;
      ctx.backend.setAgent(ctx.state.key, arg);
      ctx.say(`Agent: ${c.bold(safeText(arg))} from the next turn on.`);
    },
  },
  {
    name: "attach",
    args: "[PATH]",
    help: "attach a file (text, image, PDF) to your next message; alone, list what is attached",
    run(ctx, arg) {
      const pending = ctx.state.attachments;
      if (!arg) {
        if (pending.length === 0) return ctx.say("Nothing attached: /attach PATH attaches a file to your next message.");
        return ctx.say(`Attached to your next message: ${pending.map((a) => safeText(describeAttachment(a))).join(", ")}.`);
      }
      const path = arg.startsWith("~/") ? `${homedir()}${arg.slice(1)}` : arg;
      try {
        const file = readAttachment(path);
        ctx.state.attachments = [...pending.filter((a) => a.name !== file.name), file];
        ctx.say(`Attached ${safeText(describeAttachment(file))}: it goes with your next message (/detach takes it back).`);
      } catch (error) {
        if (!(error instanceof AttachmentError)) throw error;
        ctx.say(`Not attached: ${safeText(error.message)}`);
      }
    },
  },
  {
    name: "detach",
    args: "[NAME]",
    help: "take back the file NAME attached with /attach, or all of them",
    run(ctx, arg) {
      const pending = ctx.state.attachments;
      if (pending.length === 0) return ctx.say("Nothing is attached.");
      const kept = arg ? pending.filter((a) => a.name !== arg) : [];
      if (kept.length === pending.length) return ctx.say(`No attachment named ${safeText(arg)}: /attach lists them.`);
      ctx.state.attachments = kept;
      ctx.say(arg ? `Detached ${safeText(arg)}.` : `Detached ${pending.length === 1 ? "the file" : `all ${pending.length} files`}.`);
    },
  },
];

async function listAgents(ctx: ChatContext): Promise<void> {
  const c = ctx.renderer.colors;
  await attempt(ctx, "list the agents", async () => {
    const agents = primaryAgents(await ctx.backend.agents());
    const rows = agents.map((a) => [a.name === ctx.state.agent ? "*" : " ", a.name, a.description].map(safeText));
    for (const line of columns(rows, (text, _row, column) => (column === 1 ? c.bold(text) : column === 0 ? c.green(text) : c.dim(text)))) {
      ctx.say(`  ${line}`);
    }
    const current = ctx.state.agent ? `Agent: ${safeText(ctx.state.agent)}` : "Agent: the server's default";
    ctx.say(c.dim(`${current}. /agent NAME changes it; /agent default goes back to the server's.`));
  });
}
