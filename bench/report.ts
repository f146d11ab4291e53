// What each benchmark hands back, and how run.ts prints it: a table of measurements and the
// targets it checks, each a ratio or a bound with a pass/fail verdict.

export interface Target {
  what: string;
  /** The measured value as shown, e.g. "0.84". */
  value: string;
  /** The target as shown, e.g. ">= 0.8". */
  goal: string;
  met: boolean;
}

export interface Section {
  title: string;
  /** Header row first. */
  table: string[][];
  targets: Target[];
  notes: string[];
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN for none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export const fixed = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");
export const thousands = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a");
export const mb = (bytes: number): string => fixed(bytes / 1_000_000, 1);

export function target(what: string, value: number, goal: ">=" | "<=", bound: number, digits = 2): Target {
  return { what, value: fixed(value, digits), goal: `${goal} ${bound}`, met: goal === ">=" ? value >= bound : value <= bound };
}

/** A table with columns padded to width; numbers right-aligned. */
export function formatTable(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  const numeric = (cell: string) => /^[-+]?[\d,.]+( ?[a-zµ%x/]+)?$/i.test(cell) || cell === "n/a";
  const line = (row: string[]) =>
    row.map((cell, i) => (i > 0 && numeric(cell) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join("  ");
  const [header, ...body] = rows;
  if (!header) return "";
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

export function formatSection(section: Section): string {
  const out = [`## ${section.title}`, "", formatTable(section.table)];
  if (section.targets.length) {
    out.push(
      "",
      formatTable([["target", "measured", "goal", ""], ...section.targets.map((t) => [t.what, t.value, t.goal, t.met ? "met" : "MISSED"])]),
    );
  }
  for (const note of section.notes) out.push(`- ${note}`);
  return out.join("\n");
}

/** Bounds a benchmark step in time, so a hang fails the run instead of stalling it. */
export async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Collects garbage when node runs with --expose-gc (the bench script does), so runs start even. */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
