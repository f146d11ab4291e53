import { type Attachment, MAX_ATTACHMENT_BYTES } from "../agent/backend.js";
import { HttpError } from "./http-error.js";

/** Bytes as people read them: "512 KB", "12.3 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, "")} MB`;
}

/**
 * A message's files (validated: a name, a media type, base64 data) as the backend takes them;
 * a file larger than MAX_ATTACHMENT_BYTES is refused with 413, naming it, before any is decoded.
 */
export function attachmentsOf(files: ReadonlyArray<{ name: string; mime: string; data: string }> | undefined): Attachment[] {
  if (!files) return [];
  for (const file of files) {
    const padding = file.data.endsWith("==") ? 2 : file.data.endsWith("=") ? 1 : 0;
    const size = (file.data.length / 4) * 3 - padding;
    if (size > MAX_ATTACHMENT_BYTES) {
      throw new HttpError(
        413,
        "payload_too_large",
        `"${file.name}" is ${formatBytes(size)}: files of at most ${formatBytes(MAX_ATTACHMENT_BYTES)} can be attached.`,
      );
    }
  }
  return files.map((file) => ({ name: file.name, mime: file.mime, data: new Uint8Array(Buffer.from(file.data, "base64")) }));
}
