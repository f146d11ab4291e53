/** pocketpaw as a library: the agent contract, the composition root, settings and stores. */

export type * from "./agent/backend.js";
export { DEFAULT_SESSION_KEY } from "./agent/backend.js";
export { BackendError, UnknownConversationError } from "./agent/errors.js";
export type * from "./agent/events.js";
export { AGENT_EVENT_TYPES, DONE_REASONS, doneEvent, ERROR_CODES, errorEvent, PERMISSION_REPLIES } from "./agent/events.js";
export { BACKENDS, type BackendName } from "./agent/registry.js";
export { type DriveOptions, driveRun, type PermissionAnswer, type RunOutcome } from "./agent/run-driver.js";
export { BackendUnavailableError, type OpenBackendOptions, openBackend } from "./app/backend.js";
export { type LoadedSettings, loadSettings, parseModel, SETTINGS, type Settings, SettingsError } from "./config/settings.js";
export { SqliteSessionStore, StoreError, type StoreProblem } from "./sessions/sqlite-store.js";
export { type ConversationRecord, MemorySessionStore, type SessionStore } from "./sessions/store.js";
