/**
 * Conversation → OpenCode session. A conversation key ("cli:default", "web:<id>", …) is only
 * meaningful on one server and project, so the server URL and directory are part of the key: the
 * same "cli:default" against two servers is two conversations.
 */
export interface ConversationScope {
  key: string;
  serverUrl: string;
  directory: string;
}

export interface ConversationRecord extends ConversationScope {
  sessionId: string;
  title: string;
  model: string;
  /** The agent the conversation's turns use ("build", "plan", …); "" = the server's default. */
  agent: string;
  createdAt: number;
  lastUsedAt: number;
  /** The newest message id this client has seen in the session (see message-id.ts). */
  lastMessageId: string;
}

export interface SessionStore {
  get(scope: ConversationScope): ConversationRecord | undefined;
  put(record: ConversationRecord): void;
  /** Records a finished run: last use and newest message id. */
  touch(scope: ConversationScope, lastMessageId: string): void;
  delete(scope: ConversationScope): boolean;
  /** Newest first. */
  list(filter?: Partial<Pick<ConversationScope, "serverUrl" | "directory">>): ConversationRecord[];
  close(): void;
}

export function scopeId(scope: ConversationScope): string {
  return JSON.stringify([scope.key, scope.serverUrl, scope.directory]);
}

/** For library users who keep conversations themselves, and for tests. */
export class MemorySessionStore implements SessionStore {
  private readonly records = new Map<string, ConversationRecord>();

  get(scope: ConversationScope): ConversationRecord | undefined {
    const r = this.records.get(scopeId(scope));
    return r && { ...r };
  }

  put(record: ConversationRecord): void {
    this.records.set(scopeId(record), { ...record });
  }

  touch(scope: ConversationScope, lastMessageId: string): void {
    const r = this.records.get(scopeId(scope));
    if (!r) return;
    r.lastUsedAt = Date.now();
    if (lastMessageId > r.lastMessageId) r.lastMessageId = lastMessageId;
  }

  delete(scope: ConversationScope): boolean {
    return this.records.delete(scopeId(scope));
  }

  list(filter: Partial<Pick<ConversationScope, "serverUrl" | "directory">> = {}): ConversationRecord[] {
    return [...this.records.values()]
      .filter(
        (r) =>
          (filter.serverUrl === undefined || r.serverUrl === filter.serverUrl) &&
          (filter.directory === undefined || r.directory === filter.directory),
      )
      .sort((a, b) => b.lastUsedAt - a.lastUsedAt)
      .map((r) => ({ ...r }));
  }

  close(): void {}
}
