import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import { basename, extname } from "node:path";
import { type Attachment, MAX_ATTACHMENT_BYTES } from "../agent/backend.js";

/** A file that cannot be attached, said in one line that names it. */
export class AttachmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AttachmentError";
  }
}

/** What the agent can take besides text: images and PDF, by extension. */
const BINARY_TYPES: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".pdf": "application/pdf",
};

/** Text types worth naming; any other file whose bytes are UTF-8 text is text/plain. */
const TEXT_TYPES: Record<string, string> = {
  ".md": "text/markdown",
  ".markdown": "text/markdown",
  ".html": "text/html",
  ".htm": "text/html",
  ".css": "text/css",
  ".csv": "text/csv",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".xml": "text/xml",
};

/** The mime type of a file from its name, and (for names that don't say) whether its bytes are text; undefined when neither. */
export function mimeOf(name: string, data: Uint8Array): string | undefined {
  const ext = extname(name).toLowerCase();
  const known = BINARY_TYPES[ext] ?? TEXT_TYPES[ext];
  if (known) return known;
  return isText(data) ? "text/plain" : undefined;
}

function isText(data: Uint8Array): boolean {
  if (data.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(data);
    return true;
  } catch {
    return false;
  }
}

/** Size for people: "812 bytes", "3.4 MB". */
export function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * The file at `path` as an attachment, read now: a missing file, a directory, one larger than
 * MAX_ATTACHMENT_BYTES (checked before reading) or one that is neither text, an image nor a PDF
 * throws AttachmentError.
 */
export function readAttachment(path: string): Attachment {
  let fd: number;
  try {
    // Looked at before it is opened: opening a FIFO would wait for a writer.
    const kind = statSync(path);
    if (kind.isDirectory()) throw new AttachmentError(`${path} is a directory: attach the files in it one by one.`);
    if (!kind.isFile()) throw new AttachmentError(`${path} is not a regular file.`);
    fd = openSync(path, "r");
  } catch (error) {
    if (error instanceof AttachmentError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new AttachmentError(`${path}: no such file.`);
    if (code === "EACCES") throw new AttachmentError(`${path}: not allowed to read it.`);
    if (code === "EISDIR") throw new AttachmentError(`${path} is a directory: attach the files in it one by one.`);
    throw new AttachmentError(`${path}: cannot be read (${(error as Error).message}).`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new AttachmentError(`${path} is a directory: attach the files in it one by one.`);
    if (!stat.isFile()) throw new AttachmentError(`${path} is not a regular file.`);
    if (stat.size > MAX_ATTACHMENT_BYTES) {
      throw new AttachmentError(`${path} is ${sizeText(stat.size)}: an attachment may be at most ${sizeText(MAX_ATTACHMENT_BYTES)}.`);
    }
    const data = new Uint8Array(stat.size);
    let at = 0;
    while (at < data.length) {
      const n = readSync(fd, data, at, data.length - at, at);
      if (n === 0) break;
      at += n;
    }
    const name = basename(path);
    const bytes = data.subarray(0, at);
    const mime = mimeOf(name, bytes);
    if (!mime) throw new AttachmentError(`${path} is neither text, an image (PNG, JPEG, GIF, WebP) nor a PDF.`);
    return { name, mime, data: bytes };
  } finally {
    closeSync(fd);
  }
}

/** An attachment in a few words: "notes.md (text/markdown, 812 bytes)". */
export function describeAttachment(a: Attachment): string {
  return `${a.name} (${a.mime}, ${sizeText(a.data.length)})`;
}
