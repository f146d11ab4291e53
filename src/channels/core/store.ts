import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { keepPrivate } from "../../util/private-file.js";
import type { ChatRef } from "./types.js";

/**
 * The channels' own state, in `channels.db` beside the conversation store (which belongs to the
 * backend): where each channel resumes receiving (its cursor: Telegram's update offset), the
 * turns accepted and not yet finished (so a restart can say which were interrupted), and each
 * chat's current conversation, model and agent. SQLite in WAL mode: every change is one
 * transaction, so a crash at any point leaves a consistent state.
 */

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS cursors (channel TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS turns (
    channel TEXT NOT NULL,
    id TEXT NOT NULL,
    chat TEXT NOT NULL,
    text TEXT NOT NULL,
    accepted_at INTEGER NOT NULL,
    PRIMARY KEY (channel, id)
  );
  CREATE TABLE IF NOT EXISTS chats (
    channel TEXT NOT NULL,
    chat TEXT NOT NULL,
    conversation TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    agent TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (channel, chat)
  );`;
const SCHEMA_VERSION = 1;

/** A turn accepted and not finished: its chat and the first words of its message. */
export interface PendingTurn {
  id: string;
  chat: ChatRef;
  text: string;
}

/** A chat's choices: its current conversation key ("" = the chat's first) and its model and agent ("" = default). */
export interface ChatSettings {
  conversation: string;
  model: string;
  agent: string;
}

export class ChannelStoreError extends Error {}

export class ChannelStore {
  private readonly db: Database.Database;

  constructor(readonly path: string) {
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      this.db = new Database(path, { timeout: 5_000 });
      const version = this.db.pragma("user_version", { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        this.db.close();
        throw new ChannelStoreError(
          `${path} was written by a newer pocketpaw (schema ${version}); upgrade pocketpaw or move the file away.`,
        );
      }
      // Chat ids and the first words of messages: for the user's eyes only, before anything is written.
      keepPrivate(path);
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = NORMAL");
      this.db.exec(SCHEMA);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    } catch (error) {
      if (error instanceof ChannelStoreError) throw error;
      throw new ChannelStoreError(`Cannot open the channels' store ${path}: ${(error as Error).message}`, { cause: error });
    }
  }

  cursor(channel: string): string | undefined {
    const row = this.db.prepare("SELECT value FROM cursors WHERE channel = ?").get(channel) as { value: string } | undefined;
    return row?.value;
  }

  /** Moves the cursor and, when a turn is due, records it as pending: both or neither. */
  accept(channel: string, cursor: string | undefined, turn?: PendingTurn): void {
    this.db.transaction(() => {
      if (cursor !== undefined)
        this.db
          .prepare("INSERT INTO cursors (channel, value) VALUES (?, ?) ON CONFLICT (channel) DO UPDATE SET value = excluded.value")
          .run(channel, cursor);
      if (turn) {
        this.db
          .prepare("INSERT OR REPLACE INTO turns (channel, id, chat, text, accepted_at) VALUES (?, ?, ?, ?, ?)")
          .run(channel, turn.id, JSON.stringify(turn.chat), turn.text.slice(0, 200), Date.now());
      }
    })();
  }

  finish(channel: string, turnId: string): void {
    this.db.prepare("DELETE FROM turns WHERE channel = ? AND id = ?").run(channel, turnId);
  }

  /** The turns a previous run of pocketpaw accepted and never finished, oldest first; forgotten as they are read. */
  takeInterrupted(channel: string): PendingTurn[] {
    return this.db.transaction(() => {
      const rows = this.db.prepare("SELECT id, chat, text FROM turns WHERE channel = ? ORDER BY accepted_at, rowid").all(channel) as Array<{
        id: string;
        chat: string;
        text: string;
      }>;
      this.db.prepare("DELETE FROM turns WHERE channel = ?").run(channel);
      return rows.map((r) => ({ id: r.id, chat: JSON.parse(r.chat) as ChatRef, text: r.text }));
    })();
  }

  chat(channel: string, chat: string): ChatSettings {
    const row = this.db.prepare("SELECT conversation, model, agent FROM chats WHERE channel = ? AND chat = ?").get(channel, chat) as
      | ChatSettings
      | undefined;
    return row ?? { conversation: "", model: "", agent: "" };
  }

  setChat(channel: string, chat: string, change: Partial<ChatSettings>): void {
    const next = { ...this.chat(channel, chat), ...change };
    this.db
      .prepare("INSERT OR REPLACE INTO chats (channel, chat, conversation, model, agent) VALUES (?, ?, ?, ?, ?)")
      .run(channel, chat, next.conversation, next.model, next.agent);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
