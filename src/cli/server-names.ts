import type { AgentInfo, CommandInfo, ConversationManager } from "../agent/backend.js";
import { BackendError } from "../agent/errors.js";
import { safeText } from "./safe-text.js";

/** The agents a person can talk to: primary ones (and those usable both ways). */
export function primaryAgents(agents: AgentInfo[]): AgentInfo[] {
  return agents.filter((a) => a.mode !== "subagent");
}

const names = (items: Array<{ name: string }>) => items.map((i) => safeText(i.name)).join(", ") || "none";

/**
 * Why `name` cannot be the conversation's agent on this server, naming the ones it has; undefined
 * when it can, or when the server could not be asked (the run then says what is wrong).
 */
export async function checkAgent(backend: Pick<ConversationManager, "agents">, name: string): Promise<string | undefined> {
  let agents: AgentInfo[];
  try {
    agents = await backend.agents();
  } catch (error) {
    if (error instanceof BackendError) return undefined;
    throw error;
  }
  const primary = primaryAgents(agents);
  const found = agents.find((a) => a.name === name);
  if (found && found.mode === "subagent") {
    return `"${safeText(name)}" is a subagent (other agents call it), not one to talk to; the agents are: ${names(primary)}.`;
  }
  return found ? undefined : `The server has no agent "${safeText(name)}"; its agents are: ${names(primary)}.`;
}

/** Why the server cannot run command `name`, naming those it has; undefined when it can, or could not be asked. */
export async function checkCommand(backend: Pick<ConversationManager, "commands">, name: string): Promise<string | undefined> {
  let commands: CommandInfo[];
  try {
    commands = await backend.commands();
  } catch (error) {
    if (error instanceof BackendError) return undefined;
    throw error;
  }
  if (commands.some((c) => c.name === name)) return undefined;
  return `The server has no command "${safeText(name)}"; its commands are: ${names(commands)}.`;
}
