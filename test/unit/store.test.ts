import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PassThrough } from "node:stream";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { TerminalLineReader } from "../../src/cli/line-reader.js";
import { SCHEMA_VERSION, SqliteSessionStore, StoreError } from "../../src/sessions/sqlite-store.js";
import type { ConversationRecord } from "../../src/sessions/store.js";

const WRITER = fileURLToPath(new URL("../support/store-writer.ts", import.meta.url));
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function freshDb(): string {
  const dir = mkdtempSync(join(tmpdir(), "pocketpaw-store-"));
  dirs.push(dir);
  return join(dir, "pocketpaw.db");
}

const SERVER = "http://127.0.0.1:4096";
function record(key: string, lastUsedAt = Date.now()): ConversationRecord {
  return {
    key,
    serverUrl: SERVER,
    directory: "",
    sessionId: `ses_${key}`,
    title: `about ${key}`,
    model: "",
    agent: "",
    createdAt: lastUsedAt,
    lastUsedAt,
    lastMessageId: "",
  };
}

const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

function storeError(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof StoreError, `expected a StoreError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected a StoreError");
}

/** The schema of the first release (user_version 1), written the way it wrote it. */
function writeVersion1Store(path: string, rows: ConversationRecord[]): void {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.exec(`
    CREATE TABLE conversations (
      key TEXT NOT NULL, server_url TEXT NOT NULL, directory TEXT NOT NULL, session_id TEXT NOT NULL,
      title TEXT NOT NULL, model TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL,
      last_used_at INTEGER NOT NULL, last_message_id TEXT NOT NULL DEFAULT '',
      PRIMARY KEY (key, server_url, directory)
    );
    PRAGMA user_version = 1;`);
  const insert = db.prepare(
    "INSERT INTO conversations VALUES (@key, @serverUrl, @directory, @sessionId, @title, @model, @createdAt, @lastUsedAt, @lastMessageId)",
  );
  for (const row of rows) insert.run(row);
  db.close();
}

/** Runs the writer process to its end (bounded), or kills it once `killAfter` writes are acknowledged. */
function writer(args: string[], killAfter?: number): Promise<{ acknowledged: string[]; code: number | null; stderr: string }> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", WRITER, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let stderr = "";
  child.stderr!.on("data", (c) => (stderr += c));
  child.stdout!.on("data", (c) => {
    out += c;
    if (killAfter !== undefined && out.split("\n").length > killAfter) child.kill("SIGKILL");
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`store writer ${args.join(" ")} did not finish within 30 s: ${stderr}`));
    }, 30_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      setImmediate(() =>
        resolve({
          acknowledged: out
            .split("\n")
            .filter((l) => l.startsWith("ok "))
            .map((l) => l.slice(3)),
          code,
          stderr,
        }),
      );
    });
  });
}

describe("SqliteSessionStore", () => {
  test("keeps conversations across instances, newest first; touch and delete", () => {
    const path = freshDb();
    const one = new SqliteSessionStore(path);
    one.put(record("cli:a", 1_000));
    one.put(record("cli:b", 2_000));
    one.close();
    const two = new SqliteSessionStore(path);
    assert.deepEqual(
      two.list().map((r) => r.key),
      ["cli:b", "cli:a"],
    );
    two.touch({ key: "cli:a", serverUrl: SERVER, directory: "" }, "msg_2");
    two.touch({ key: "cli:a", serverUrl: SERVER, directory: "" }, "msg_1"); // never goes back
    assert.equal(two.get({ key: "cli:a", serverUrl: SERVER, directory: "" })?.lastMessageId, "msg_2");
    assert.deepEqual(
      two.list().map((r) => r.key),
      ["cli:a", "cli:b"],
    );
    assert.deepEqual(two.list({ serverUrl: "http://elsewhere" }), []);
    assert.equal(two.delete({ key: "cli:b", serverUrl: SERVER, directory: "" }), true);
    assert.equal(two.delete({ key: "cli:b", serverUrl: SERVER, directory: "" }), false);
    assert.equal(two.backupPath, undefined);
    two.close();
  });

  test("for the user's eyes only: the folder it creates 700, the database, its -wal and -shm and a backup 600", () => {
    const previous = process.umask(0o022); // what most systems have: files 644 and folders 755 unless asked
    try {
      const home = join(dirname(freshDb()), "new-home");
      const path = join(home, "pocketpaw.db");
      const store = new SqliteSessionStore(path);
      store.put(record("cli:private"));
      const mode = (file: string) => (statSync(file).mode & 0o777).toString(8);
      assert.equal(mode(home), "700");
      for (const file of [path, `${path}-wal`, `${path}-shm`]) assert.equal(mode(file), "600", file);
      store.close();

      const old = join(home, "old.db");
      writeVersion1Store(old, [record("cli:old")]);
      new SqliteSessionStore(old).close();
      assert.equal(mode(`${old}.v1.bak`), "600");
    } finally {
      process.umask(previous);
    }
  });

  test("a store left readable by others (an older pocketpaw, a copy) is made 600 when opened, its -wal and -shm too; another program's database keeps its mode", () => {
    const mode = (file: string) => (statSync(file).mode & 0o777).toString(8);
    const path = freshDb();
    const store = new SqliteSessionStore(path);
    store.put(record("cli:loose"));
    for (const file of [path, `${path}-wal`, `${path}-shm`]) chmodSync(file, 0o644);
    const again = new SqliteSessionStore(path);
    for (const file of [path, `${path}-wal`, `${path}-shm`]) assert.equal(mode(file), "600", file);
    assert.equal(again.list().length, 1);
    again.close();
    store.close();

    const foreign = freshDb();
    const db = new Database(foreign);
    db.exec("CREATE TABLE photos (id INTEGER PRIMARY KEY);");
    db.close();
    chmodSync(foreign, 0o644);
    storeError(() => new SqliteSessionStore(foreign));
    assert.equal(mode(foreign), "644");
  });

  test("the chat's history, beside it: the folder it creates 700, the file 600", async () => {
    const previous = process.umask(0o022);
    try {
      const home = join(dirname(freshDb()), "new-home");
      const file = join(home, "chat_history");
      const keyboard = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => keyboard });
      const screen = new PassThrough().resume();
      const reader = new TerminalLineReader(keyboard as unknown as NodeJS.ReadStream, screen as unknown as NodeJS.WriteStream, file);
      const line = reader.read("> ");
      keyboard.write("a private message\r");
      assert.equal(await line, "a private message");
      assert.equal(readFileSync(file, "utf8"), "a private message\n");
      assert.equal((statSync(home).mode & 0o777).toString(8), "700");
      assert.equal((statSync(file).mode & 0o777).toString(8), "600");
    } finally {
      process.umask(previous);
    }
  });

  test("a store from the first release is migrated, its rows kept, and a copy of it left beside it", () => {
    const path = freshDb();
    const rows = [record("cli:old", 5), record("web:x", 7)];
    writeVersion1Store(path, rows);
    const store = new SqliteSessionStore(path);
    assert.deepEqual(store.list(), [rows[1], rows[0]]);
    assert.equal(store.backupPath, `${path}.v1.bak`);
    store.close();

    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
    assert.ok(db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'conversations_by_last_use'").get());
    db.close();
    const backup = new Database(`${path}.v1.bak`, { readonly: true });
    assert.equal(backup.pragma("user_version", { simple: true }), 1);
    assert.equal((backup.prepare("SELECT count(*) AS n FROM conversations").get() as { n: number }).n, 2);
    backup.close();

    // Opening again changes nothing more.
    const again = new SqliteSessionStore(path);
    assert.equal(again.backupPath, undefined);
    again.close();
  });

  test("a schema-2 store (before the agent column) is migrated: rows kept with no agent, a copy beside it; the agent is then kept", () => {
    const path = freshDb();
    writeVersion1Store(path, [record("cli:two", 3)]);
    const v2 = new Database(path);
    v2.exec("CREATE INDEX conversations_by_last_use ON conversations (last_used_at DESC); PRAGMA user_version = 2;");
    v2.close();
    const store = new SqliteSessionStore(path);
    assert.equal(store.backupPath, `${path}.v2.bak`);
    assert.deepEqual(store.get({ key: "cli:two", serverUrl: SERVER, directory: "" }), record("cli:two", 3));
    store.put({ ...record("cli:two", 3), agent: "plan" });
    store.close();
    const again = new SqliteSessionStore(path);
    assert.equal(again.get({ key: "cli:two", serverUrl: SERVER, directory: "" })?.agent, "plan");
    again.close();
    const backup = new Database(`${path}.v2.bak`, { readonly: true });
    assert.equal(backup.pragma("user_version", { simple: true }), 2);
    backup.close();
  });

  test("a store from a newer pocketpaw: refused, untouched, and the message says to upgrade", () => {
    const path = freshDb();
    writeVersion1Store(path, [record("cli:future")]);
    const db = new Database(path);
    db.pragma("user_version = 99");
    db.pragma("journal_mode = DELETE"); // one file, so its bytes can be compared
    db.close();
    const before = sha(path);
    const error = storeError(() => new SqliteSessionStore(path));
    assert.equal(error.problem, "newer");
    assert.match(error.message, /written by a newer pocketpaw \(schema 99; this one knows up to \d+\)\. Upgrade pocketpaw/);
    assert.equal(sha(path), before);
  });

  test("a file that is not a database: refused, untouched, with what to do", () => {
    const path = freshDb();
    writeFileSync(path, "this is not SQLite, just some notes someone saved here\n".repeat(200));
    const before = sha(path);
    const error = storeError(() => new SqliteSessionStore(path));
    assert.equal(error.problem, "damaged");
    assert.ok(error.message.includes(path));
    assert.match(error.message, /damaged or is not a pocketpaw store .* left it untouched: move it aside/);
    assert.equal(sha(path), before);
    assert.ok(!existsSync(`${path}-wal`) || statSync(`${path}-wal`).size === 0);
  });

  test("a store damaged inside: reading it fails with the same clear message", () => {
    const path = freshDb();
    const store = new SqliteSessionStore(path);
    for (let i = 0; i < 400; i++) store.put(record(`cli:${i}`, i));
    store.close(); // the last connection checkpoints the WAL into the main file
    const size = statSync(path).size;
    assert.ok(size > 8 * 4096, `the store spans several pages (${size} bytes)`);
    // Scribble over every page but the first (the header and schema stay readable).
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.alloc(size - 4096, 0x5a), 0, size - 4096, 4096);
    closeSync(fd);
    const error = storeError(() => new SqliteSessionStore(path).list());
    assert.equal(error.problem, "damaged");
    assert.ok(error.message.includes(path));
  });

  test("another program's SQLite database: refused as not a pocketpaw store, and untouched, whatever its schema", () => {
    const schemas = [
      "CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO photos (name) VALUES ('cat.jpg');",
      // Its own "conversations" table, and user_version set as if it were one of our schemas.
      "CREATE TABLE conversations (id INTEGER PRIMARY KEY, body TEXT);",
      "CREATE TABLE photos (id INTEGER PRIMARY KEY); PRAGMA user_version = 1;",
      "CREATE TABLE conversations (id INTEGER PRIMARY KEY, body TEXT); PRAGMA user_version = 2;",
      "CREATE TABLE photos (id INTEGER PRIMARY KEY); PRAGMA user_version = 42;",
    ];
    for (const schema of schemas) {
      const path = freshDb();
      const db = new Database(path);
      db.exec(schema);
      db.close();
      const before = sha(path);
      const error = storeError(() => new SqliteSessionStore(path).list());
      assert.equal(error.problem, "foreign", schema);
      assert.match(error.message, /another program's SQLite database, not a pocketpaw store; pocketpaw left it untouched\. Move it/);
      assert.equal(sha(path), before);
      assert.ok(!existsSync(`${path}.v1.bak`), "no backup made of it either");
    }
  });

  test("a store replaced by another program's database while open: reported as such", () => {
    const path = freshDb();
    const store = new SqliteSessionStore(path);
    const other = new Database(path);
    other.exec("DROP TABLE conversations; CREATE TABLE conversations (id INTEGER PRIMARY KEY);");
    other.close();
    assert.equal(storeError(() => store.list()).problem, "foreign");
    store.close();
  });

  test("locked by another writer: reads still work, a write fails after the wait, saying so; nothing is lost", () => {
    const path = freshDb();
    const store = new SqliteSessionStore(path, { timeoutMs: 200 });
    store.put(record("cli:kept"));
    const other = new Database(path);
    other.exec("BEGIN EXCLUSIVE");
    try {
      assert.equal(store.get({ key: "cli:kept", serverUrl: SERVER, directory: "" })?.sessionId, "ses_cli:kept");
      const started = Date.now();
      const error = storeError(() => store.put(record("cli:new")));
      assert.ok(Date.now() - started >= 150, "it waited for the other writer first");
      assert.equal(error.problem, "locked");
      assert.match(error.message, /is locked by another process \(waited 0\.2 s to write to it\)\. Nothing was changed/);
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    store.put(record("cli:new"));
    assert.deepEqual(
      store
        .list()
        .map((r) => r.key)
        .sort(),
      ["cli:kept", "cli:new"],
    );
    store.close();
  });

  test("four processes writing at once: every write lands", async () => {
    const path = freshDb();
    new SqliteSessionStore(path).put(record("cli:shared", 0));
    const count = 150;
    const results = await Promise.all(["p0", "p1", "p2", "p3"].map((p) => writer([path, p, String(count), "cli:shared"])));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const store = new SqliteSessionStore(path);
    const keys = new Set(store.list().map((r) => r.key));
    assert.equal(keys.size, 4 * count + 1);
    for (const p of ["p0", "p1", "p2", "p3"]) for (let i = 0; i < count; i++) assert.ok(keys.has(`${p}:${i}`), `${p}:${i}`);
    // touch() keeps the greatest message id whatever order the processes got there in ("msg_p3_…" sorts last).
    assert.equal(
      store.get({ key: "cli:shared", serverUrl: SERVER, directory: "" })?.lastMessageId,
      `msg_p3_${String(count - 1).padStart(6, "0")}`,
    );
    store.close();
  });

  test("a writer killed mid-write (SIGKILL): the store opens intact with every acknowledged write", async () => {
    const path = freshDb();
    const { acknowledged, code } = await writer([path, "crash", "1000000"], 300);
    assert.notEqual(code, 0, "the writer was killed");
    assert.ok(acknowledged.length >= 300);
    const store = new SqliteSessionStore(path);
    const keys = new Set(store.list().map((r) => r.key));
    for (const key of acknowledged) assert.ok(keys.has(key), `${key} was acknowledged, so it is stored`);
    store.close();
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
    db.close();
  });
});
