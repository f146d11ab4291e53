/** pocketpaw as a library: the agent contract, the OpenCode backend, settings and stores. */
export type * from "./agent/events.js";
export type { AgentBackend, BackendInfo, BackendStatus, Capability, RunOptions, RunStatus } from "./agent/backend.js";
export { DEFAULT_SESSION_KEY } from "./agent/backend.js";
export { BACKENDS, type BackendName } from "./agent/registry-info.js";
export { BackendUnavailableError, createBackend } from "./agent/registry.js";
export { loadSettings, parseModel, SETTINGS, SettingsError, type LoadedSettings, type Settings } from "./config/settings.js";
export { OpenCodeBackend, type OpenCodeBackendOptions } from "./opencode/backend.js";
export { OpenCodeClient, type ClientOptions } from "./opencode/client.js";
export * from "./opencode/errors.js";
export { MemorySessionStore, type ConversationRecord, type SessionStore } from "./sessions/store.js";
export { SqliteSessionStore, StoreError, type StoreProblem } from "./sessions/sqlite-store.js";
