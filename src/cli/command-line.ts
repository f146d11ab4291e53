import { editDistance, nearest } from "../config/typos.js";

/**
 * The command line, from a table: commands (nested one level, as `sessions list`), their
 * arguments and options, parsed by Node's own `util.parseArgs` and described by `--help`.
 * Not commander: loading it (CommonJS: its loader, then seven files) took a third of a command's
 * start, and `pocketpaw backends` at 1.5× `node -e 0` has room for nothing of the kind. What is
 * written here is only what parseArgs lacks: subcommands, help text, choices, camelCase names.
 */
export interface OptionSpec {
  /** As help shows it: `-s, --session <key>`, `--json` (no value: a switch). */
  flags: string;
  description: string;
  default?: string;
  /** The only values allowed. */
  choices?: readonly string[];
  /** Given several times, it collects each value. */
  repeatable?: boolean;
}

export interface CommandSpec {
  name: string;
  description: string;
  /** `<key>` required, `[message...]` optional and taking the rest; with a description. */
  args?: Array<[string, string]>;
  options?: OptionSpec[];
  /** Runs the command: arguments (the variadic one joined as a list), options by camelCase name. */
  run?: (args: Array<string | string[] | undefined>, flags: Record<string, unknown>) => Promise<number>;
  subcommands?: CommandSpec[];
  /** The subcommand run when none is named. */
  defaultSubcommand?: string;
}

export interface Program extends CommandSpec {
  version: string;
  /** Shown after the top level's help. */
  epilogue: string;
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** A usage error: said with the command's help, exit 2. */
class UsageError extends Error {}

/** Runs `argv` (without node and the script) against `program`: the exit code. */
export async function runCommandLine(program: Program, argv: string[], io: Io): Promise<number> {
  let path: CommandSpec[] = [program];
  try {
    if (argv[0] === "help") return help(io, resolve(program, argv.slice(1)).path, program);
    if (argv[0] === "-V" || argv[0] === "--version") {
      io.out(`${program.version}\n`);
      return 0;
    }
    const resolved = resolve(program, argv);
    path = resolved.path;
    const { rest } = resolved;
    const command = path.at(-1) as CommandSpec;
    if (!command.run) {
      if (rest.length === 0 || rest[0] === "-h" || rest[0] === "--help") return help(io, path, program);
      throw new UsageError(`unknown command '${rest[0]}'`);
    }
    const { values, positionals } = parse(command, rest);
    if (values.help) return help(io, path, program);
    return await command.run(argumentsOf(command, positionals), flagsOf(command, values));
  } catch (error) {
    if (!(error instanceof UsageError) && !isParseArgsError(error)) throw error;
    io.err(`error: ${usageMessage(error as Error)}\n\n`);
    help(io, path, program, io.err);
    return 2;
  }
}

/** The command named by the leading words, and the words after it. */
function resolve(program: Program, argv: string[]): { path: CommandSpec[]; rest: string[] } {
  const path: CommandSpec[] = [program];
  let rest = argv;
  for (;;) {
    const current = path.at(-1) as CommandSpec;
    if (!current.subcommands) return { path, rest };
    const named = current.subcommands.find((c) => c.name === rest[0]);
    if (named) {
      path.push(named);
      rest = rest.slice(1);
      continue;
    }
    const word = rest[0];
    if (word !== undefined && !word.startsWith("-")) throw new UsageError(`unknown command '${word}'${suggestion(word, current)}`);
    // Options alone (or nothing) go to the default subcommand; help is the command's own.
    const fallback = current.subcommands.find((c) => c.name === current.defaultSubcommand);
    if (!fallback || word === "-h" || word === "--help") return { path, rest };
    path.push(fallback);
  }
}

/** The nearest command's name, when the word is a slip of one or two letters away from it. */
function suggestion(word: string, command: CommandSpec): string {
  const near = nearest(
    word,
    (command.subcommands ?? []).map((c) => c.name),
  );
  return editDistance(word, near) <= 2 ? ` (did you mean ${near}?)` : "";
}

interface ParsedOption {
  spec: OptionSpec;
  long: string;
  short?: string;
  takesValue: boolean;
  valueName?: string;
}

function parsedOption(spec: OptionSpec): ParsedOption {
  const match = /^(?:-(\w), )?--([\w-]+)(?: <([^>]+)>)?$/.exec(spec.flags);
  if (!match) throw new Error(`option flags not understood: ${spec.flags}`);
  const [, short, long, valueName] = match;
  return {
    spec,
    long: long as string,
    ...(short ? { short } : {}),
    takesValue: valueName !== undefined,
    ...(valueName ? { valueName } : {}),
  };
}

const HELP: OptionSpec = { flags: "-h, --help", description: "display help for command" };

function parse(command: CommandSpec, argv: string[]) {
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const o of [...(command.options ?? []), HELP].map(parsedOption)) {
    options[o.long] = {
      type: o.takesValue ? "string" : "boolean",
      ...(o.short ? { short: o.short } : {}),
      ...(o.spec.repeatable ? { multiple: true } : {}),
    };
  }
  // Taken by process.getBuiltinModule, not imported: node:util's ES module facade (every export,
  // MIMEType's module with them) cost each start about 1.5 ms, for one function.
  return process.getBuiltinModule("node:util").parseArgs({ args: argv, options, allowPositionals: true, strict: true });
}

function argumentsOf(command: CommandSpec, positionals: string[]): Array<string | string[] | undefined> {
  const specs = command.args ?? [];
  const out: Array<string | string[] | undefined> = [];
  let i = 0;
  for (const [name] of specs) {
    if (name.endsWith("...]") || name.endsWith("...>")) {
      out.push(positionals.slice(i));
      i = positionals.length;
    } else {
      if (name.startsWith("<") && positionals[i] === undefined) throw new UsageError(`missing required argument '${name.slice(1, -1)}'`);
      out.push(positionals[i++]);
    }
  }
  if (i < positionals.length) throw new UsageError(`too many arguments for '${command.name}': ${positionals.slice(i).join(" ")}`);
  return out;
}

function flagsOf(command: CommandSpec, values: Record<string, unknown>): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const o of (command.options ?? []).map(parsedOption)) {
    const value = values[o.long] ?? o.spec.default;
    if (value === undefined) continue;
    const given = Array.isArray(value) ? value : [value];
    for (const v of given) {
      if (o.spec.choices && typeof v === "string" && !o.spec.choices.includes(v)) {
        throw new UsageError(`option '${o.spec.flags}' argument '${v}' is invalid. Allowed choices are ${o.spec.choices.join(", ")}.`);
      }
    }
    flags[o.long.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())] = value;
  }
  return flags;
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_");
}

/** parseArgs's messages, first sentence only (the rest is about `--`, which rarely helps). */
function usageMessage(error: Error): string {
  return error instanceof UsageError ? error.message : (error.message.split(". ")[0] ?? error.message);
}

/** The help of the last command of `path`, on `write` (stdout by default): exit code 0. */
function help(io: Io, path: CommandSpec[], program: Program, write: (text: string) => void = io.out): number {
  const command = path.at(-1) as CommandSpec;
  const name = path.map((c) => c.name).join(" ");
  const args = (command.args ?? []).map(([a]) => ` ${a}`).join("");
  const lines = [
    `Usage: ${name}${command.subcommands ? " [options] [command]" : ` [options]${args}`}`,
    "",
    wrap(command.description, 0),
    "",
  ];
  const section = (title: string, rows: Array<[string, string]>) => {
    if (rows.length === 0) return;
    const width = Math.max(...rows.map(([left]) => left.length)) + 2;
    lines.push(`${title}:`, ...rows.map(([left, right]) => `  ${left.padEnd(width)}${wrap(right, width + 2)}`), "");
  };
  section(
    "Arguments",
    (command.args ?? []).map(([a, d]) => [a.replace(/[<>[\].]/g, ""), d]),
  );
  const options = [
    ...(command.options ?? []),
    ...(command === program ? [{ flags: "-V, --version", description: "output the version number" }] : []),
    HELP,
  ];
  section(
    "Options",
    options.map((o) => [
      o.flags,
      `${o.description}${o.choices ? ` (choices: ${o.choices.join(", ")})` : ""}${o.default ? ` (default: "${o.default}")` : ""}`,
    ]),
  );
  section(
    "Commands",
    (command.subcommands ?? []).map((c) => [
      `${c.name}${c.subcommands ? " [command]" : (c.args ?? []).map(([a]) => ` ${a}`).join("")}`,
      c.description,
    ]),
  );
  if (command === program) lines.push(program.epilogue.trim(), "");
  write(`${lines.join("\n").trimEnd()}\n`);
  return 0;
}

/** Text wrapped to the terminal (80 columns when not one), continued lines indented by `indent`. */
function wrap(text: string, indent: number): string {
  const width = Math.max(40, (process.stdout.columns || 80) - indent);
  const out: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  out.push(line);
  return out.join(`\n${" ".repeat(indent)}`);
}
