import type { ForgetOutcome, ModelCatalog, Place, Transcript } from "../../agent/backend.js";
import { UnknownConversationError } from "../../agent/errors.js";
import { parseModel } from "../../config/settings.js";
import type { ConversationRecord, ConversationScope, SessionStore } from "../../sessions/store.js";
import type { OpenCodeClient } from "../rest/client.js";
import { ApiError, isSessionGone, OpenCodeError } from "../rest/errors.js";
import { transcriptOf } from "../translate/transcript.js";

/**
 * The conversations one OpenCode backend remembers (in its store, the only writer) and what the
 * fronts ask of the server about them: transcripts, deletion, stopping, the model list.
 */
export class OpenCodeConversations {
  readonly place: Place;

  constructor(
    private readonly client: OpenCodeClient,
    private readonly store: SessionStore,
  ) {
    this.place = { serverUrl: client.displayUrl, directory: client.directory ?? "" };
  }

  /** Where the conversation `key` is kept in the store: its key on this server and directory. */
  scope(key: string): ConversationScope {
    return { key, ...this.place };
  }

  list(options: { everywhere?: boolean } = {}): ConversationRecord[] {
    return this.store.list(options.everywhere ? {} : this.place);
  }

  get(key: string): ConversationRecord | undefined {
    return this.store.get(this.scope(key));
  }

  rename(key: string, title: string): ConversationRecord {
    const record = this.known(key);
    const renamed = { ...record, title };
    this.store.put(renamed);
    return renamed;
  }

  setModel(key: string, model: string): void {
    const record = this.get(key);
    if (record) this.store.put({ ...record, model });
  }

  setAgent(key: string, agent: string): void {
    const record = this.get(key);
    if (record) this.store.put({ ...record, agent });
  }

  async transcript(key: string): Promise<Transcript> {
    const record = this.known(key);
    try {
      const messages = await this.client.messages(record.sessionId);
      return { conversation: record, turns: transcriptOf(messages), raw: messages };
    } catch (error) {
      if (isSessionGone(error)) {
        throw new OpenCodeError(
          "session",
          `The server no longer has ${key}'s session ${record.sessionId}; \`pocketpaw sessions forget ${key}\` drops it here.`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  async forget(key: string, options: { deleteRemote?: boolean } = {}): Promise<ForgetOutcome> {
    const record = this.known(key);
    let outcome: ForgetOutcome = "kept";
    if (options.deleteRemote) {
      try {
        await this.client.deleteSession(record.sessionId);
        outcome = "deleted";
      } catch (error) {
        // Kept here when the server did not answer, so that the same command can be run again.
        if (!(error instanceof ApiError && error.isNotFound)) throw error;
        outcome = "gone";
      }
    }
    this.store.delete(this.scope(key));
    return outcome;
  }

  async stopRemote(key: string): Promise<"stopped" | "idle" | "no_session"> {
    const record = this.get(key);
    if (!record) return "no_session";
    const statuses = await this.client.sessionStatus();
    if ((statuses[record.sessionId]?.type ?? "idle") === "idle") return "idle";
    await this.client.abort(record.sessionId);
    return "stopped";
  }

  async models(): Promise<ModelCatalog> {
    const { providers, default: defaults = {} } = await this.client.providers();
    const models = providers.flatMap((p) =>
      Object.entries(p.models ?? {}).map(([id, m]) => ({ id: `${p.id}/${m.id ?? id}`, name: m.name ?? id, provider: p.name ?? p.id })),
    );
    return { models, defaults };
  }

  async checkModel(model: string): Promise<string | undefined> {
    const ref = parseModel(model);
    if (!ref) return `"${model}" is not a model: expected provider/model, e.g. anthropic/claude-sonnet-4.`;
    const { providers } = await this.client.providers();
    const provider = providers.find((p) => p.id === ref.providerID);
    if (!provider) return `The server has no provider "${ref.providerID}"; it has ${providers.map((p) => p.id).join(", ") || "none"}.`;
    const models = Object.keys(provider.models ?? {});
    if (models.includes(ref.modelID)) return undefined;
    return `Provider ${ref.providerID} has no model "${ref.modelID}"; it has ${models.slice(0, 12).join(", ")}${models.length > 12 ? ", …" : ""}.`;
  }

  /** The remembered conversation; throws UnknownConversationError. */
  known(key: string): ConversationRecord {
    const record = this.get(key);
    if (!record) throw new UnknownConversationError(key, this.place.serverUrl);
    return record;
  }
}
