import type { AgentInfo, CommandInfo } from "../../agent/backend.js";
import type { OpenCodeClient } from "../rest/client.js";
import { ApiError, NotOpenCodeError, OpenCodeError } from "../rest/errors.js";

/** How long the agent and command lists are trusted: a run checks its agent and command against them. */
const CACHE_MS = 30_000;

/**
 * The server's agents and commands, read on demand and kept briefly. Runs check their agent and
 * command here first: OpenCode takes an unknown agent silently (204; then 1.18.33 fails the
 * session without a user message and 1.2.6 does nothing at all) and answers an unknown command
 * with a bare 500, so either would leave a run waiting for a turn that never comes.
 */
export class ServerCatalog {
  private agentList: { at: number; list: Promise<AgentInfo[]> } | undefined;
  private commandList: { at: number; list: Promise<CommandInfo[]> } | undefined;

  constructor(private readonly client: OpenCodeClient) {}

  /** The agents people can use: OpenCode's hidden ones (compaction, title, summary) are its own machinery, left out. */
  agents(fresh = true): Promise<AgentInfo[]> {
    if (fresh || !this.agentList || Date.now() - this.agentList.at > CACHE_MS) {
      const list = needsRoute(this.client.agents(), "listing agents", true).then((agents) =>
        agents
          .filter((a) => a.hidden !== true)
          .map(
            (a): AgentInfo => ({
              name: a.name,
              description: a.description ?? "",
              mode: a.mode === "primary" || a.mode === "subagent" ? a.mode : "all",
              builtIn: a.native === true,
            }),
          ),
      );
      this.agentList = { at: Date.now(), list };
      list.catch(() => {
        if (this.agentList?.list === list) this.agentList = undefined;
      });
      return list;
    }
    return this.agentList.list;
  }

  commands(fresh = true): Promise<CommandInfo[]> {
    if (fresh || !this.commandList || Date.now() - this.commandList.at > CACHE_MS) {
      const list = needsRoute(this.client.commands(), "listing commands", true).then((commands) =>
        commands.map((c) => ({ name: c.name, description: c.description ?? "" })),
      );
      this.commandList = { at: Date.now(), list };
      list.catch(() => {
        if (this.commandList?.list === list) this.commandList = undefined;
      });
      return list;
    }
    return this.commandList.list;
  }

  /** Throws `bad_request` naming the agents that can be chosen, unless `agent` is one of them ("" = the server's default). */
  async checkAgent(agent: string): Promise<void> {
    if (!agent) return;
    const agents = await this.agents(false);
    const choosable = agents.filter((a) => a.mode !== "subagent");
    const found = agents.find((a) => a.name === agent);
    if (found && found.mode !== "subagent") return;
    const names = choosable.map((a) => a.name).join(", ") || "none";
    const why = found ? `"${agent}" is a subagent (agents call it through the task tool)` : `The server has no agent "${agent}"`;
    throw new OpenCodeError("bad_request", `${why}; the agents to choose from are ${names}.`);
  }

  /** Throws `bad_request` naming the commands, unless `command` is one of them. */
  async checkCommand(command: string): Promise<void> {
    const commands = await this.commands(false);
    if (commands.some((c) => c.name === command)) return;
    throw new OpenCodeError(
      "bad_request",
      `The server has no command "/${command}"; it has ${commands.map((c) => `/${c.name}`).join(", ") || "none"}.`,
    );
  }
}

/**
 * A call to a route the server's release may lack: such a route answers with the web UI (HTML,
 * 1.14 and later) or a 404, which is said as `unsupported` rather than as a broken server. A 404
 * with an OpenCode error name is the thing asked for missing (a session, a question), unless
 * `anyNotFound` (a list route, where nothing else can be missing: the seed's servers, say).
 */
export async function needsRoute<T>(work: Promise<T>, feature: string, anyNotFound = false): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof NotOpenCodeError || (error instanceof ApiError && error.status === 404 && (anyNotFound || !error.errorName))) {
      throw new OpenCodeError(
        "unsupported",
        `This OpenCode server's release does not support ${feature}; upgrade it (\`npm install -g opencode-ai@latest\`) to use it.`,
        { cause: error },
      );
    }
    throw error;
  }
}
