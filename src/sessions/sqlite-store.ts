import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { keepPrivate } from "../util/private-file.js";
import type { ConversationRecord, ConversationScope, SessionStore } from "./store.js";

/**
 * The conversation store on disk (`~/.pocketpaw/pocketpaw.db`): SQLite in WAL mode. Every write
 * is one statement, i.e. one transaction: a crash mid-write (even SIGKILL) leaves the last
 * committed state, and several pocketpaw processes can share the file (readers never wait,
 * writers wait for each other up to `timeoutMs` instead of failing). `synchronous = NORMAL` is
 * durable against process crashes; only a power cut may lose the last commits.
 *
 * The schema version lives in `PRAGMA user_version`. Opening an older store migrates it forward
 * in one transaction, after copying it to `<file>.v<N>.bak`; a store written by a newer pocketpaw,
 * a damaged file or a locked one is left untouched and reported as a StoreError that says what
 * to do.
 */

/** Each step takes the schema from `to - 1` to `to`. Append only: released steps never change. */
const MIGRATIONS: ReadonlyArray<{ to: number; sql: string }> = [
  {
    to: 1,
    sql: `
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
      );`,
  },
  {
    // `pocketpaw sessions` and the dashboard list conversations newest first.
    to: 2,
    sql: "CREATE INDEX IF NOT EXISTS conversations_by_last_use ON conversations (last_used_at DESC);",
  },
  {
    // The agent a conversation's turns use ("build", "plan", …); '' = the server's default.
    to: 3,
    sql: "ALTER TABLE conversations ADD COLUMN agent TEXT NOT NULL DEFAULT '';",
  },
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.to;

interface Row {
  key: string;
  server_url: string;
  directory: string;
  session_id: string;
  title: string;
  model: string;
  /** Since schema 3. */
  agent: string;
  created_at: number;
  last_used_at: number;
  last_message_id: string;
}

/** Why the store can't be used; each comes with a message that says what to do. */
export type StoreProblem = "damaged" | "foreign" | "locked" | "newer" | "unavailable";

/** The columns of the conversations table since schema 1 (later schemas may only add to them). */
const COLUMNS = ["key", "server_url", "directory", "session_id", "title", "model", "created_at", "last_used_at", "last_message_id"];

export class StoreError extends Error {
  constructor(
    message: string,
    readonly problem: StoreProblem,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "StoreError";
  }
}

export interface SqliteStoreOptions {
  /** How long a write waits for another process's write before failing. */
  timeoutMs?: number;
}

export class SqliteSessionStore implements SessionStore {
  private readonly db: Database.Database;
  private readonly timeoutMs: number;
  /** Set when opening migrated an older store: where its copy was kept. */
  readonly backupPath: string | undefined;

  constructor(
    readonly path: string,
    options: SqliteStoreOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
    let db: Database.Database | undefined;
    try {
      // Titles are first messages: the folder and the files are for the user's eyes only.
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      db = new Database(path, { timeout: this.timeoutMs });
      this.db = db;
      // Only reads until the file is known to be ours: switching to WAL rewrites its header.
      this.refuseForeign();
      // Before anything is written; SQLite gives the -wal and -shm files the database's own mode.
      keepPrivate(path);
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      this.backupPath = this.migrate();
    } catch (error) {
      db?.close();
      throw this.explain(error, "open");
    }
  }

  /**
   * Throws, changing nothing, when the file is a newer pocketpaw's store or another program's
   * database: ours has the conversations table with our columns and, up to this schema, no other
   * table; a new file has no table at all. (Another program may use user_version too.)
   */
  private refuseForeign(): void {
    const found = this.version();
    const rows = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT GLOB 'sqlite_*'").all();
    const tables = (rows as { name: string }[]).map((t) => t.name);
    const columns = new Set((this.db.pragma("table_info(conversations)") as { name: string }[]).map((c) => c.name));
    const ours = COLUMNS.every((c) => columns.has(c));
    const fresh = found === 0 && tables.length === 0;
    if (!fresh && !(ours && (found > SCHEMA_VERSION || tables.length === 1))) throw this.foreign();
    if (found > SCHEMA_VERSION) {
      throw new StoreError(
        `The conversation store ${this.path} was written by a newer pocketpaw (schema ${found}; this one knows up to ${SCHEMA_VERSION}). ` +
          "Upgrade pocketpaw, or set POCKETPAW_HOME to another folder; the store was left as it is.",
        "newer",
      );
    }
  }

  private foreign(cause?: unknown): StoreError {
    return new StoreError(
      `${this.path} is another program's SQLite database, not a pocketpaw store; pocketpaw left it untouched. ` +
        "Move it elsewhere, or set POCKETPAW_HOME to another folder.",
      "foreign",
      { cause },
    );
  }

  /** Brings the schema up to date; returns the backup's path when an older store was migrated. */
  private migrate(): string | undefined {
    const found = this.version();
    if (found === SCHEMA_VERSION) return undefined;
    // A copy of what was there before the first change, kept beside it.
    let backup: string | undefined;
    if (found > 0) {
      backup = `${this.path}.v${found}.bak`;
      if (!existsSync(backup)) {
        this.db.prepare("VACUUM INTO ?").run(backup);
        keepPrivate(backup);
      }
    }
    // IMMEDIATE: two processes opening an old store at once migrate it once, one after the other.
    this.db
      .transaction(() => {
        const from = this.version();
        for (const step of MIGRATIONS) {
          if (step.to > from) this.db.exec(step.sql);
        }
        this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })
      .immediate();
    return backup;
  }

  private version(): number {
    return this.db.pragma("user_version", { simple: true }) as number;
  }

  get(scope: ConversationScope): ConversationRecord | undefined {
    const row = this.guard("read", () =>
      this.db
        .prepare("SELECT * FROM conversations WHERE key = ? AND server_url = ? AND directory = ?")
        .get(scope.key, scope.serverUrl, scope.directory),
    ) as Row | undefined;
    return row && fromRow(row);
  }

  put(r: ConversationRecord): void {
    this.guard("write", () =>
      this.db
        .prepare(
          `INSERT INTO conversations (key, server_url, directory, session_id, title, model, agent, created_at, last_used_at, last_message_id)
           VALUES (@key, @serverUrl, @directory, @sessionId, @title, @model, @agent, @createdAt, @lastUsedAt, @lastMessageId)
           ON CONFLICT (key, server_url, directory) DO UPDATE SET
             session_id = excluded.session_id, title = excluded.title, model = excluded.model, agent = excluded.agent,
             created_at = excluded.created_at, last_used_at = excluded.last_used_at, last_message_id = excluded.last_message_id`,
        )
        .run({
          key: r.key,
          serverUrl: r.serverUrl,
          directory: r.directory,
          sessionId: r.sessionId,
          title: r.title,
          model: r.model,
          agent: r.agent,
          createdAt: r.createdAt,
          lastUsedAt: r.lastUsedAt,
          lastMessageId: r.lastMessageId,
        }),
    );
  }

  touch(scope: ConversationScope, lastMessageId: string): void {
    this.guard("write", () =>
      this.db
        .prepare(
          `UPDATE conversations SET last_used_at = ?, last_message_id = max(last_message_id, ?)
           WHERE key = ? AND server_url = ? AND directory = ?`,
        )
        .run(Date.now(), lastMessageId, scope.key, scope.serverUrl, scope.directory),
    );
  }

  delete(scope: ConversationScope): boolean {
    return this.guard(
      "write",
      () =>
        this.db
          .prepare("DELETE FROM conversations WHERE key = ? AND server_url = ? AND directory = ?")
          .run(scope.key, scope.serverUrl, scope.directory).changes > 0,
    );
  }

  list(filter: Partial<Pick<ConversationScope, "serverUrl" | "directory">> = {}): ConversationRecord[] {
    const rows = this.guard("read", () =>
      this.db
        .prepare(
          `SELECT * FROM conversations
           WHERE (@serverUrl IS NULL OR server_url = @serverUrl) AND (@directory IS NULL OR directory = @directory)
           ORDER BY last_used_at DESC`,
        )
        .all({ serverUrl: filter.serverUrl ?? null, directory: filter.directory ?? null }),
    ) as Row[];
    return rows.map(fromRow);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private guard<T>(what: "read" | "write", action: () => T): T {
    try {
      return action();
    } catch (error) {
      throw this.explain(error, what);
    }
  }

  /** SQLite's error as a StoreError whose message says what happened to which file, and what to do. */
  private explain(error: unknown, what: "open" | "read" | "write"): StoreError {
    if (error instanceof StoreError) return error;
    const code = (error as { code?: string }).code ?? "";
    const detail = (error as Error).message;
    const doing = what === "open" ? "open" : what === "read" ? "read" : "write to";
    if (code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT")) {
      return new StoreError(
        `The conversation store ${this.path} is damaged or is not a pocketpaw store (${detail}). ` +
          `pocketpaw left it untouched: move it aside (e.g. mv "${this.path}" "${this.path}.damaged") to start a new one, ` +
          "or set POCKETPAW_HOME to another folder.",
        "damaged",
        { cause: error },
      );
    }
    // The file was replaced by another program's database while in use.
    if (code === "SQLITE_ERROR" && /^no such (table|column)/.test(detail)) return this.foreign(error);
    if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
      return new StoreError(
        `The conversation store ${this.path} is locked by another process (waited ${this.timeoutMs / 1000} s to ${doing} it). ` +
          "Nothing was changed; try again when the other pocketpaw is done, or close the program holding the file.",
        "locked",
        { cause: error },
      );
    }
    return new StoreError(
      `Cannot ${doing} the conversation store ${this.path}: ${detail}. ` +
        "Check the folder's permissions and free space, or set POCKETPAW_HOME to another folder.",
      "unavailable",
      { cause: error },
    );
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
    agent: row.agent,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    lastMessageId: row.last_message_id,
  };
}
