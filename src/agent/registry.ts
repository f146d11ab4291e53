import type { BackendInfo, Capability } from "./backend.js";

/**
 * The six agent backends of PocketPaw's comparison page, as data. This build implements
 * `opencode`; the others are listed so front ends can show them and a user who picks one gets
 * told exactly what is missing. Kept apart from the registry so that showing this table imports
 * no backend code.
 */
const all: Capability[] = ["streaming", "tools", "multi_turn", "custom_system_prompt"];

export const BACKENDS = {
  claude_agent_sdk: {
    name: "claude_agent_sdk",
    displayName: "Claude Agent SDK",
    status: "production",
    capabilities: [...all, "mcp"],
    builtinTools: "Claude Code tools (Bash, Read, Write, Edit, Glob, Grep, WebSearch, WebFetch)",
    requiredKeys: ["ANTHROPIC_API_KEY"],
    localModels: "Ollama",
    providers: "Anthropic",
    installHint: "pip install claude-agent-sdk (PocketPaw's Python build)",
    beta: false,
    available: false,
  },
  openai_agents: {
    name: "openai_agents",
    displayName: "OpenAI Agents",
    status: "beta",
    capabilities: all,
    builtinTools: "PocketPaw tools as function tools",
    requiredKeys: ["OPENAI_API_KEY"],
    localModels: "Ollama",
    providers: "OpenAI, OpenAI-compatible",
    installHint: "pip install openai-agents (PocketPaw's Python build)",
    beta: true,
    available: false,
  },
  google_adk: {
    name: "google_adk",
    displayName: "Google ADK",
    status: "beta",
    capabilities: [...all, "mcp"],
    builtinTools: "PocketPaw tools as ADK tools",
    requiredKeys: ["GOOGLE_API_KEY"],
    localModels: null,
    providers: "Google Gemini",
    installHint: "pip install google-adk (PocketPaw's Python build)",
    beta: true,
    available: false,
  },
  codex_cli: {
    name: "codex_cli",
    displayName: "Codex CLI",
    status: "beta",
    capabilities: [...all, "mcp"],
    builtinTools: "Codex's own tools (shell, apply_patch)",
    requiredKeys: ["OPENAI_API_KEY"],
    localModels: null,
    providers: "OpenAI",
    installHint: "npm install -g @openai/codex",
    beta: true,
    available: false,
  },
  opencode: {
    name: "opencode",
    displayName: "OpenCode",
    status: "beta",
    capabilities: all,
    builtinTools: "Server-managed (bash, edit, glob, grep, read, write, task, todowrite, webfetch, …)",
    requiredKeys: [],
    localModels: null,
    providers: "External server (model managed by OpenCode)",
    installHint: "npm install -g opencode-ai && opencode serve --port 4096",
    beta: true,
    available: true,
  },
  copilot_sdk: {
    name: "copilot_sdk",
    displayName: "Copilot SDK",
    status: "beta",
    capabilities: all,
    builtinTools: "Copilot's own tools",
    requiredKeys: [],
    localModels: null,
    providers: "GitHub Copilot",
    installHint: "pip install github-copilot-sdk (PocketPaw's Python build)",
    beta: true,
    available: false,
  },
} as const satisfies Record<string, BackendInfo>;

export type BackendName = keyof typeof BACKENDS;

export function isBackendName(name: string): name is BackendName {
  return Object.hasOwn(BACKENDS, name);
}
