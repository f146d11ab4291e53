/** Cuts `bytes` at the given positions (any order, duplicates allowed: empty chunks are fine). */
export function cutAt(bytes: Uint8Array, positions: number[]): Uint8Array[] {
  const cuts = positions.map((p) => p % (bytes.length + 1)).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const cut of cuts) {
    chunks.push(bytes.subarray(start, cut));
    start = cut;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}
