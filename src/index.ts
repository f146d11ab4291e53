/** pocketpaw as a library: the agent contract, the composition root, settings and stores. */
export type * from "./agent/events.js";
export { AGENT_EVENT_TYPES, DONE_REASONS, ERROR_CODES, PERMISSION_REPLIES, doneEvent, errorEvent } from "./agent/events.js";
export type * from "./agent/backend.js";
export { DEFAULT_SESSION_KEY } from "./agent/backend.js";
export { BackendError, UnknownConversationError } from "./agent/errors.js";
export { driveRun, type DriveOptions, type PermissionAnswer, type RunOutcome } from "./agent/run-driver.js";
export { BACKENDS, type BackendName } from "./agent/registry.js";
export { BackendUnavailableError, openBackend, type OpenBackendOptions } from "./app/backend.js";
export { loadSettings, parseModel, SETTINGS, SettingsError, type LoadedSettings, type Settings } from "./config/settings.js";
export { MemorySessionStore, type ConversationRecord, type SessionStore } from "./sessions/store.js";
export { SqliteSessionStore, StoreError, type StoreProblem } from "./sessions/sqlite-store.js";
