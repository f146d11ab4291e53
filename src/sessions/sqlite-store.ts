import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { ConversationRecord, ConversationScope, SessionStore } from "./store.js";

/**
 * The conversation store on disk (`~/.pocketpaw/pocketpaw.db`): SQLite in WAL mode, so a crash
 * mid-write loses nothing committed and several pocketpaw processes can share it (writers wait
 * up to 5 s for each other instead of failing).
 */
const SCHEMA_VERSION = 1;

interface Row {
  key: string;
  server_url: string;
  directory: string;
  session_id: string;
  title: string;
  model: string;
  created_at: number;
  last_used_at: number;
  last_message_id: string;
}

export class StoreError extends Error {}

export class SqliteSessionStore implements SessionStore {
  private readonly db: Database.Database;

  constructor(readonly path: string) {
    try {
      mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path, { timeout: 5_000 });
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = NORMAL");
      this.migrate();
    } catch (error) {
      throw new StoreError(
        `Cannot open the conversation store ${path}: ${(error as Error).message}. ` +
          "Move the file aside (nothing else is lost) or set POCKETPAW_HOME to another folder.",
        { cause: error },
      );
    }
  }

  private migrate(): void {
    const version = this.db.pragma("user_version", { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(`it was written by a newer pocketpaw (schema ${version}, this one knows ${SCHEMA_VERSION}); upgrade pocketpaw`);
    }
    if (version < 1) {
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS conversations (
          key TEXT NOT NULL,
          server_url TEXT NOT NULL,
          directory TEXT NOT NULL,
          session_id TEXT NOT NULL,
          title TEXT NOT NULL,
          model TEXT NOT NULL DEFAULT '',
          created_at INTEGER NOT NULL,
          last_used_at INTEGER NOT NULL,
          last_message_id TEXT NOT NULL DEFAULT '',
          PRIMARY KEY (key, server_url, directory)
        );
        PRAGMA user_version = 1;
      `);
    }
  }

  get(scope: ConversationScope): ConversationRecord | undefined {
    const row = this.db
      .prepare("SELECT * FROM conversations WHERE key = ? AND server_url = ? AND directory = ?")
      .get(scope.key, scope.serverUrl, scope.directory) as Row | undefined;
    return row && fromRow(row);
  }

  put(r: ConversationRecord): void {
    this.db
      .prepare(
        `INSERT INTO conversations (key, server_url, directory, session_id, title, model, created_at, last_used_at, last_message_id)
         VALUES (@key, @serverUrl, @directory, @sessionId, @title, @model, @createdAt, @lastUsedAt, @lastMessageId)
         ON CONFLICT (key, server_url, directory) DO UPDATE SET
           session_id = excluded.session_id, title = excluded.title, model = excluded.model,
           created_at = excluded.created_at, last_used_at = excluded.last_used_at, last_message_id = excluded.last_message_id`,
      )
      .run(r);
  }

  touch(scope: ConversationScope, lastMessageId: string): void {
    this.db
      .prepare(
        `UPDATE conversations SET last_used_at = ?, last_message_id = max(last_message_id, ?)
         WHERE key = ? AND server_url = ? AND directory = ?`,
      )
      .run(Date.now(), lastMessageId, scope.key, scope.serverUrl, scope.directory);
  }

  delete(scope: ConversationScope): boolean {
    return (
      this.db
        .prepare("DELETE FROM conversations WHERE key = ? AND server_url = ? AND directory = ?")
        .run(scope.key, scope.serverUrl, scope.directory).changes > 0
    );
  }

  list(filter: Partial<Pick<ConversationScope, "serverUrl" | "directory">> = {}): ConversationRecord[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM conversations
         WHERE (@serverUrl IS NULL OR server_url = @serverUrl) AND (@directory IS NULL OR directory = @directory)
         ORDER BY last_used_at DESC`,
      )
      .all({ serverUrl: filter.serverUrl ?? null, directory: filter.directory ?? null }) as Row[];
    return rows.map(fromRow);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function fromRow(row: Row): ConversationRecord {
  return {
    key: row.key,
    serverUrl: row.server_url,
    directory: row.directory,
    sessionId: row.session_id,
    title: row.title,
    model: row.model,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    lastMessageId: row.last_message_id,
  };
}
