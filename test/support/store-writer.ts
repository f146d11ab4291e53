// A separate process writing to a conversation store, for the store's concurrency and crash tests:
//   node --import tsx test/support/store-writer.ts <db> <prefix> <count> [shared-key]
// Puts <count> conversations "<prefix>:<i>" (and, with a shared key, touches that one after
// each put), printing "ok <prefix>:<i>" once each put has returned, i.e. is committed.
import { SqliteSessionStore } from "../../src/sessions/sqlite-store.js";

const [db, prefix, count, shared] = process.argv.slice(2);
if (!db || !prefix || !count) throw new Error("usage: store-writer.ts <db> <prefix> <count> [shared-key]");
const store = new SqliteSessionStore(db);
const scope = (key: string) => ({ key, serverUrl: "http://127.0.0.1:4096", directory: "" });
for (let i = 0; i < Number(count); i++) {
  const key = `${prefix}:${i}`;
  const now = Date.now();
  store.put({
    ...scope(key),
    sessionId: `ses_${prefix}_${i}`,
    title: `written by ${prefix}`,
    model: "",
    agent: "",
    createdAt: now,
    lastUsedAt: now,
    lastMessageId: "",
  });
  if (shared) store.touch(scope(shared), `msg_${prefix}_${String(i).padStart(6, "0")}`);
  process.stdout.write(`ok ${key}\n`);
}
store.close();
