import { titleFor } from "../../agent/backend.js";
import type { StatusEvent } from "../../agent/events.js";
import type { ConversationRecord, ConversationScope, SessionStore } from "../../sessions/store.js";
import type { OpenCodeClient } from "../rest/client.js";
import { isSessionGone, OpenCodeError } from "../rest/errors.js";
import type { OcPermissionRule } from "../rest/wire.js";
import { statusEvent } from "../translate/agent-events.js";

/** What a run brings to the conversation's session: a new session's title, and the model and agent it uses. */
export interface NewTurn {
  /** What the title is made from: the message (or the command line). */
  title: string;
  model: string;
  agent: string;
}

/** The conversation's session, and the status a run announces it with when it is new. */
export interface OpenedSession {
  record: ConversationRecord;
  announce?: StatusEvent;
}

/** The server no longer has the session a prompt was sent to: the run goes on in a new one. */
export class SessionGoneError extends OpenCodeError {
  constructor(
    readonly sessionId: string,
    options?: { cause?: unknown },
  ) {
    super("session", `The OpenCode server no longer has session ${sessionId}.`, options);
  }
}

/**
 * Each conversation's OpenCode session: the stored one while the server still has it, else a
 * new one, stored at once and announced by the run.
 */
export class ConversationSessions {
  /** Sessions found on the server in this process; forgotten as soon as the server says otherwise. */
  private readonly verified = new Set<string>();

  constructor(
    private readonly client: OpenCodeClient,
    private readonly store: SessionStore,
    /** Permission rules for the sessions created here (e.g. ask before bash). */
    private readonly permission: OcPermissionRule[] = [],
  ) {}

  /**
   * The stored session, looked up on the server (once per process when `trustVerified`: the
   * server then refuses a prompt to a session it lost, and `replace` takes over), or a new one.
   */
  async open(scope: ConversationScope, turn: NewTurn, trustVerified: boolean): Promise<OpenedSession> {
    const stored = this.store.get(scope);
    if (stored && ((trustVerified && this.verified.has(stored.sessionId)) || (await this.exists(stored.sessionId)))) {
      // The agent chosen for this turn is the conversation's from now on.
      if (stored.agent === turn.agent) return { record: stored };
      const record = { ...stored, agent: turn.agent };
      this.store.put(record);
      return { record };
    }
    return this.create(scope, turn, stored);
  }

  /** The server refused a prompt to `gone`'s session: a new session for the conversation. */
  replace(scope: ConversationScope, gone: ConversationRecord, turn: NewTurn): Promise<OpenedSession> {
    this.verified.delete(gone.sessionId);
    return this.create(scope, turn, gone);
  }

  private async exists(sessionId: string): Promise<boolean> {
    try {
      await this.client.getSession(sessionId);
      this.verified.add(sessionId);
      return true;
    } catch (error) {
      if (!isSessionGone(error)) throw error;
      this.verified.delete(sessionId);
      return false;
    }
  }

  private async create(scope: ConversationScope, turn: NewTurn, previous: ConversationRecord | undefined): Promise<OpenedSession> {
    const title = titleFor(turn.title);
    // The `question` tool is allowed: its questions reach the fronts as `question` events.
    const session = await this.client.createSession({ title, permission: this.permission });
    this.verified.add(session.id);
    const now = Date.now();
    const record: ConversationRecord = {
      ...scope,
      sessionId: session.id,
      title,
      model: turn.model,
      agent: turn.agent,
      createdAt: now,
      lastUsedAt: now,
      lastMessageId: "",
    };
    this.store.put(record);
    const announce = previous
      ? statusEvent(
          { state: "session_replaced", sessionId: session.id, previousSessionId: previous.sessionId },
          `The server no longer knew session ${previous.sessionId}; continuing in a new session ${session.id}.`,
        )
      : statusEvent({ state: "session_created", sessionId: session.id }, `New OpenCode session ${session.id}.`);
    return { record, announce };
  }
}
