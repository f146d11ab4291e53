import { chmodSync, statSync } from "node:fs";

/**
 * Makes a file of ours readable and writable by its owner only (chmod 600), with SQLite's -wal
 * and -shm beside it when there: titles, chat ids and first words of messages are for the user's
 * eyes only. A file made by an older pocketpaw (which left it 644 under the usual umask) or
 * copied in is tightened too. A file that is not the user's own (chmod refused) is left as it is.
 */
export function keepPrivate(path: string): void {
  if (process.platform === "win32") return;
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    let mode: number;
    try {
      mode = statSync(file).mode & 0o777;
    } catch {
      continue; // not there (no -wal yet)
    }
    if (mode === 0o600) continue;
    try {
      chmodSync(file, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EPERM") throw error;
    }
  }
}
