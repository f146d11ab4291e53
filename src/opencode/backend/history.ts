import { BackendError } from "../../agent/errors.js";
import { parseModel } from "../../config/settings.js";
import type { ConversationRecord, SessionStore } from "../../sessions/store.js";
import type { OpenCodeClient } from "../rest/client.js";
import { ApiError } from "../rest/errors.js";
import type { OcModelRef } from "../rest/wire.js";
import { needsRoute } from "./catalog.js";
import { conversationDiff, isPrompt } from "./changes.js";
import type { OpenCodeConversations } from "./conversations.js";

/**
 * What fronts do to a conversation's past on the server: its diff, undo and redo (OpenCode's
 * revert: messages from a user message on are hidden and the files restored from the server's
 * snapshots, git projects only; the next prompt drops them for good), fork and compaction.
 * The backend runs each under the conversation's lock, so none overlaps a run of this process.
 */
export class ConversationHistory {
  constructor(
    private readonly client: OpenCodeClient,
    private readonly store: SessionStore,
    private readonly conversations: OpenCodeConversations,
    /** The configured model ("" = the server's default), for compaction. */
    private readonly model: string,
  ) {}

  diff(key: string, all: boolean): Promise<string> {
    const record = this.conversations.known(key);
    return busyOrGone(record, conversationDiff(this.client, record.sessionId, all));
  }

  /**
   * Hides the last turn not hidden yet (so undo twice takes back two turns). The stored newest
   * message id stays as it is: the next prompt's id must still sort after the hidden messages,
   * which the server keeps until that prompt arrives.
   */
  async undo(key: string): Promise<boolean> {
    const record = this.conversations.known(key);
    return busyOrGone(
      record,
      (async () => {
        const [session, messages] = await Promise.all([this.client.getSession(record.sessionId), this.client.messages(record.sessionId)]);
        const hiddenFrom = session.revert?.messageID;
        const last = messages.filter((m) => isPrompt(m) && !(hiddenFrom && m.info.id >= hiddenFrom)).at(-1);
        if (!last) return false;
        await needsRoute(this.client.revert(record.sessionId, last.info.id), "undo (revert)");
        return true;
      })(),
    );
  }

  /** Shows again everything undo hid (every undone turn at once: that is what the server offers). */
  async redo(key: string): Promise<boolean> {
    const record = this.conversations.known(key);
    return busyOrGone(
      record,
      (async () => {
        const session = await this.client.getSession(record.sessionId);
        if (!session.revert?.messageID) return false;
        await needsRoute(this.client.unrevert(record.sessionId), "redo (unrevert)");
        return true;
      })(),
    );
  }

  async fork(key: string, newKey: string): Promise<ConversationRecord> {
    const record = this.conversations.known(key);
    if (this.conversations.get(newKey)) {
      throw new BackendError("bad_request", `A conversation "${newKey}" exists already; choose another name for the fork.`);
    }
    const session = await busyOrGone(record, needsRoute(this.client.fork(record.sessionId), "forking a conversation"));
    // The copy's messages get ids of their own: the fork's next prompt sorts after the newest.
    const messages = await this.client.messages(session.id).catch(() => []);
    const newest = messages.reduce((max, m) => (m.info.id > max ? m.info.id : max), "");
    const now = Date.now();
    const fork: ConversationRecord = {
      ...this.conversations.scope(newKey),
      sessionId: session.id,
      title: `${record.title} (fork)`,
      model: record.model,
      agent: record.agent,
      createdAt: now,
      lastUsedAt: now,
      lastMessageId: newest > record.lastMessageId ? newest : record.lastMessageId,
    };
    this.store.put(fork);
    return fork;
  }

  /** Summarises the conversation with its model, else the configured one, else the server's default. */
  async compact(key: string): Promise<void> {
    const record = this.conversations.known(key);
    const model = await this.modelFor(record);
    await busyOrGone(record, needsRoute(this.client.summarize(record.sessionId, model), "compacting a conversation"));
  }

  private async modelFor(record: ConversationRecord): Promise<OcModelRef> {
    const chosen = parseModel(record.model) ?? parseModel(this.model);
    if (chosen) return chosen;
    const [config, { providers, default: defaults = {} }] = await Promise.all([this.client.config(), this.client.providers()]);
    const configured = typeof config.model === "string" ? parseModel(config.model) : undefined;
    if (configured) return configured;
    const provider = providers.find((p) => defaults[p.id]) ?? providers[0];
    const modelID = provider ? (defaults[provider.id] ?? Object.keys(provider.models ?? {})[0]) : undefined;
    if (!provider || !modelID)
      throw new BackendError(
        "bad_request",
        "No model to compact with: the server has no model configured. Set POCKETPAW_OPENCODE_MODEL (provider/model).",
      );
    return { providerID: provider.id, modelID };
  }
}

/** The server's refusals said for people: the session busy with a run (409), or gone (404). */
async function busyOrGone<T>(record: ConversationRecord, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof ApiError && error.isBusy) {
      throw new BackendError(
        "session",
        `${record.key} is busy on the server (a turn is running); stop it or wait until it ends, then try again.`,
        { cause: error },
      );
    }
    if (error instanceof ApiError && error.isNotFound) {
      throw new BackendError(
        "session",
        `The server no longer has ${record.key}'s session ${record.sessionId}; \`pocketpaw sessions forget ${record.key}\` drops it here.`,
        { cause: error },
      );
    }
    throw error;
  }
}
