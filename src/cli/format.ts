/** Small text helpers shared by the commands' listings. */

/** How long ago `then` was, the way people say it: "just now", "5 min ago", "3 days ago". */
export function ago(then: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - then) / 1000));
  if (s < 45) return "just now";
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  if (d < 30) return `${d} day${d === 1 ? "" : "s"} ago`;
  return new Date(then).toISOString().slice(0, 10);
}

/**
 * Rows as aligned columns. `style` colours a cell after padding, so escape codes never upset the
 * alignment; the last column is not padded.
 */
export function columns(rows: string[][], style?: (text: string, row: number, column: number) => string): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, [...cell].length);
  }
  return rows.map((row, r) =>
    row
      .map((cell, i) => {
        const padded = i === row.length - 1 ? cell : cell + " ".repeat((widths[i] ?? 0) - [...cell].length);
        return style ? style(padded, r, i) : padded;
      })
      .join("  ")
      .trimEnd(),
  );
}
