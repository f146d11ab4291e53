import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type CommandSpec, type Program, runCommandLine } from "../../src/cli/command-line.js";

/** A program whose commands record what they were given. */
function program(): { program: Program; calls: Array<{ name: string; args: unknown[]; flags: Record<string, unknown> }> } {
  const calls: Array<{ name: string; args: unknown[]; flags: Record<string, unknown> }> = [];
  const record =
    (name: string): CommandSpec["run"] =>
    async (args, flags) => {
      calls.push({ name, args, flags });
      return 0;
    };
  return {
    calls,
    program: {
      name: "tool",
      description: "A tool.",
      version: "1.2.3",
      epilogue: "Exit codes: 0 ok.",
      subcommands: [
        {
          name: "say",
          description: "Say words.",
          args: [["[words...]", "the words"]],
          options: [
            { flags: "-s, --session <key>", description: "conversation", default: "cli:default" },
            { flags: "--approve <reply>", description: "answer", choices: ["once", "reject"] },
            { flags: "-f, --file <path>", description: "a file", repeatable: true },
            { flags: "--max-turns <n>", description: "steps" },
            { flags: "--json", description: "JSON" },
          ],
          run: record("say"),
        },
        {
          name: "sessions",
          description: "Sessions.",
          defaultSubcommand: "list",
          subcommands: [
            { name: "list", description: "List.", options: [{ flags: "--json", description: "JSON" }], run: record("list") },
            { name: "show", description: "Show one.", args: [["<key>", "the key"]], run: record("show") },
          ],
        },
      ],
    },
  };
}

async function cli(argv: string[]) {
  const { program: p, calls } = program();
  let out = "";
  let err = "";
  const code = await runCommandLine(p, argv, {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  });
  return { code, out, err, calls };
}

describe("the command line", () => {
  test("arguments, a variadic rest, defaults, camelCase names, repeatable options, switches", async () => {
    const r = await cli(["say", "hello", "-f", "a.txt", "there", "--file=b.png", "--max-turns", "3", "--json"]);
    assert.equal(r.code, 0);
    assert.deepEqual(r.calls, [
      { name: "say", args: [["hello", "there"]], flags: { session: "cli:default", file: ["a.txt", "b.png"], maxTurns: "3", json: true } },
    ]);
  });

  test("a default subcommand takes options alone; a named one its arguments", async () => {
    assert.deepEqual((await cli(["sessions", "--json"])).calls, [{ name: "list", args: [], flags: { json: true } }]);
    assert.deepEqual((await cli(["sessions", "show", "k:1"])).calls, [{ name: "show", args: ["k:1"], flags: {} }]);
  });

  test("usage errors: exit 2, one line saying what is wrong, then the command's help on stderr", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["sya"], /^error: unknown command 'sya' \(did you mean say\?\)\n\nUsage: tool \[options\] \[command\]/],
      [["sessions", "shw"], /^error: unknown command 'shw' \(did you mean show\?\)/],
      [["say", "--nope"], /^error: Unknown option '--nope'\n\nUsage: tool say \[options\] \[words\.\.\.\]/],
      [
        ["say", "--approve", "maybe"],
        /^error: option '--approve <reply>' argument 'maybe' is invalid\. Allowed choices are once, reject\./,
      ],
      [["say", "--session"], /^error: Option '-s, --session <value>' argument missing/],
      [["sessions", "show"], /^error: missing required argument 'key'/],
      [["sessions", "show", "a", "b"], /^error: too many arguments for 'show': b/],
    ];
    for (const [argv, expected] of cases) {
      const r = await cli(argv);
      assert.equal(r.code, 2, argv.join(" "));
      assert.match(r.err, expected);
      assert.deepEqual(r.calls, [], "nothing ran");
    }
  });

  test("help and version: on stdout, exit 0; the top level's help ends with the epilogue", async () => {
    const top = await cli(["--help"]);
    assert.match(top.out, /^Usage: tool \[options\] \[command\]\n\nA tool\.\n/);
    assert.match(top.out, /Commands:\n {2}say \[words\.\.\.\] +Say words\.\n {2}sessions \[command\] +Sessions\.\n/);
    assert.match(top.out, /Exit codes: 0 ok\.\n$/);
    assert.match((await cli(["say", "-h"])).out, /--approve <reply> +answer \(choices: once, reject\)\n/);
    assert.match((await cli(["help", "sessions", "show"])).out, /^Usage: tool sessions show \[options\] <key>/);
    assert.deepEqual((await cli(["sessions"])).calls, [{ name: "list", args: [], flags: {} }], "a group alone: its default runs");
    assert.equal((await cli(["-V"])).out, "1.2.3\n");
  });
});
