// The conversation's header and the sidebar's foot: token and cost counters, the model and agent
// pickers (filled from the server), the agent in use, the backend's badges and the server's health.
import { api } from "./api.js";
import { el, messageOf } from "./dom.js";
import { currentConversation, state, ui } from "./page.js";

/** @typedef {import("../../agent/events.js").TokenUsage} TokenUsage */

const MODEL_CHOICE = "pocketpaw.model";

export function resetUsage() {
  state.usage = { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0, cost: 0 };
  renderUsage();
}

/** @param {TokenUsage} usage */
export function addUsage(usage) {
  for (const field of /** @type {const} */ (["input", "output", "reasoning", "cacheRead", "cacheWrite", "cost"]))
    state.usage[field] += usage[field];
  renderUsage();
}

function renderUsage() {
  const u = state.usage;
  const format = new Intl.NumberFormat();
  ui.tokens.textContent = `${format.format(u.input)} in · ${format.format(u.output)} out`;
  ui.tokens.title = `input ${u.input}, output ${u.output}, reasoning ${u.reasoning}, cache read ${u.cacheRead}, cache write ${u.cacheWrite}`;
  ui.cost.textContent = `$${u.cost.toFixed(4)}`;
}

export async function loadModels() {
  /** @type {{configured: string, models: {id: string, name: string, provider: string}[]}} */
  const { configured, models } = await api("/api/models");
  const choice = localStorage.getItem(MODEL_CHOICE) ?? configured;
  const options = [new Option(configured ? `Configured (${configured})` : "Server default", "")];
  /** @type {Map<string, HTMLOptGroupElement>} */
  const groups = new Map();
  for (const model of models) {
    let group = groups.get(model.provider);
    if (!group) {
      group = document.createElement("optgroup");
      group.label = model.provider;
      groups.set(model.provider, group);
    }
    group.append(new Option(model.name === model.id ? model.id : `${model.name} · ${model.id}`, model.id));
  }
  ui.model.replaceChildren(...options, ...groups.values());
  ui.model.value = models.some((m) => m.id === choice) ? choice : "";
}

export function rememberModel() {
  localStorage.setItem(MODEL_CHOICE, ui.model.value);
}

/** The server's agents; the picker offers those that can answer a conversation (not subagents). */
export async function loadAgents() {
  /** @type {{agents: import("../../agent/backend.js").AgentInfo[]}} */
  const { agents } = await api("/api/agents");
  state.agents = agents;
  showAgent();
}

/**
 * The picker and the header as the shown conversation has them: its agent, or the server's
 * default. An agent it uses that the server does not list any more is still shown.
 */
export function showAgent() {
  const agent = currentConversation()?.agent ?? "";
  const badge = agent || "default agent";
  ui.agentBadge.textContent = agent ? `${agent} agent` : badge;
  ui.agentBadge.title = agent ? `This conversation's turns are answered by the ${agent} agent.` : "Answered by the server's default agent.";
  ui.agentBadge.classList.toggle("chosen", agent !== "");
  // A choice the person made for the next message stays until it is sent or they switch conversations.
  if (!state.agents || state.agentPicked) return;
  const offered = state.agents.filter((a) => a.mode !== "subagent");
  const options = [new Option("Default agent", "")];
  for (const a of offered) {
    const option = new Option(a.name, a.name);
    option.title = a.description;
    options.push(option);
  }
  if (agent && !offered.some((a) => a.name === agent)) options.push(new Option(agent, agent));
  ui.agent.replaceChildren(...options);
  ui.agent.value = agent;
  ui.agent.disabled = false;
}

/**
 * The agent to send with a message: only a change from what the conversation uses ("" goes back
 * to the default), and nothing while the server's agents are unknown.
 * @returns {string | undefined}
 */
export function agentChoice() {
  if (!state.agents) return undefined;
  const current = currentConversation()?.agent ?? "";
  return ui.agent.value === current ? undefined : ui.agent.value;
}

export async function loadCommands() {
  /** @type {{commands: import("../../agent/backend.js").CommandInfo[]}} */
  const { commands } = await api("/api/commands");
  state.commands = commands;
}

export async function loadBackend() {
  /** @type {{active: string, backends: {name: string, displayName: string, capabilities: string[], status: string}[]}} */
  const { active, backends } = await api("/api/backends");
  const info = backends.find((b) => b.name === active);
  if (!info) return;
  const badges = [el("span", "badge strong", info.displayName), el("span", "badge subtle", info.status)];
  for (const capability of info.capabilities) badges.push(el("span", "badge", capability.replaceAll("_", " ")));
  ui.badges.replaceChildren(...badges);
}

export async function loadHealth() {
  try {
    /** @type {{ok: boolean, pocketpaw: {version: string}, opencode: {url: string, healthy: boolean, version?: string, error?: {message: string}}, channels?: {name: string, state: string, detail: string}[]}} */
    const health = await api("/api/health");
    const o = health.opencode;
    ui.health.className = `health ${o.healthy ? "ok" : "down"}`;
    // The chat channels `pocketpaw serve` runs, each with its state; the detail says why on hover.
    const channels = (health.channels ?? []).map((ch) => {
      const span = el("span", `health-url channel ${ch.state}`, `${ch.name}: ${ch.state}`);
      span.title = ch.detail;
      return span;
    });
    ui.health.replaceChildren(
      el("span", "dot"),
      el("span", "health-text", o.healthy ? `OpenCode ${o.version ?? ""}` : "OpenCode unreachable"),
      el("span", "health-url", o.url),
      el("span", "health-url", `pocketpaw ${health.pocketpaw.version}`),
      ...channels,
    );
    ui.health.title = o.error?.message ?? `${o.url} is healthy`;
  } catch (error) {
    ui.health.className = "health down";
    ui.health.replaceChildren(el("span", "dot"), el("span", "health-text", "pocketpaw unreachable"));
    ui.health.title = messageOf(error);
  }
}
