// `pocketpaw demo`: a short conversation with a REAL OpenCode server, offline, on a fresh machine.
// It starts `opencode serve` (the binary of the optional dependency opencode-linux-x64, or
// `opencode` on PATH) isolated in a temp folder and wired to the scripted model on loopback (no
// network, no API key), then drives it exactly as `pocketpaw chat` does: streaming, folded
// reasoning, a tool run behind a permission question that the demo answers, token usage. Then it
// stops everything: the server's whole process group, the model, the temp folder.

import { type DemoStack, startDemoStack } from "../app/local-server.js";
import { colorWanted } from "./colors.js";
import { createRenderer, type Output } from "./render.js";
import { runTurn } from "./turn.js";

export interface DemoOptions {
  out: Output;
  err: Output;
  color: boolean;
  /** A terminal to draw spinners on (stderr), as in the chat. */
  spinnerStream?: NodeJS.WriteStream;
  /** The terminal's keyboard, for Ctrl-C. */
  terminal?: NodeJS.ReadStream;
  /** Milliseconds between streamed words (default 35): slow enough to watch the text arrive. */
  paceMs?: number;
}

/** What the person "types", and the script the stand-in model follows for it. */
interface Exchange {
  says: string;
  script: string;
}

const NOTES = "# Groceries\n\n- oat milk\n- coffee beans\n- basil\n- two lemons\n";

function exchanges(paceMs: number): Exchange[] {
  const pace = `[[delay:${paceMs}]]`;
  return [
    {
      says: "Hi! What can you do?",
      script:
        `${pace}[[think:A greeting. Say what this demo shows, briefly.]]` +
        "[[reply:Hi! I am a scripted stand-in for a real model, but everything around me is real: " +
        "an OpenCode server runs this conversation, and pocketpaw streams what it does as it happens. " +
        "Ask me to look at a file and I will run a tool for it.]][[usage:812:46]]",
    },
    {
      says: "How many lines does notes.md have?",
      script: `${pace}[[bash:wc -l notes.md]][[usage:1290:38]]`,
    },
  ];
}

export async function runDemo(options: DemoOptions): Promise<number> {
  const renderer = await createRenderer(options.out, options.err, {
    color: options.color,
    foldThinking: true,
    ...(options.spinnerStream ? { spinnerStream: options.spinnerStream } : {}),
  });
  const c = renderer.colors;
  const say = (text: string) => renderer.line(text);
  say(c.bold("pocketpaw demo"));
  say(c.dim("A real OpenCode server, started here, answering through a scripted stand-in model on loopback: no network, no API key."));

  let server: DemoStack | undefined;
  try {
    // The server asks before every shell command, so the demo shows a permission question.
    server = await startDemoStack({ "notes.md": NOTES });
    const { backend } = server;
    const { version } = await backend.health();
    say(
      c.dim(
        `OpenCode ${version} is ready at ${server.url} (pid ${server.pid}, ${(server.startupMs / 1000).toFixed(1)} s); its project folder holds notes.md.`,
      ),
    );
    say("");

    let failed = false;
    for (const exchange of exchanges(options.paceMs ?? 35)) {
      say(`${c.cyan("you ›")} ${exchange.says}`);
      const result = await runTurn({
        backend,
        message: exchange.script,
        run: { sessionKey: "demo" },
        out: options.out,
        err: options.err,
        renderer,
        answer: { reply: "once", how: "the demo answers for you; in `pocketpaw chat` you choose" },
        ...(options.terminal ? { terminal: options.terminal } : {}),
      });
      say("");
      if (result.stopped) return 130;
      failed ||= result.failure !== undefined;
    }
    say(c.dim("That was pocketpaw driving OpenCode. With your own server: `opencode serve --port 4096`, then `pocketpaw chat`."));
    return failed ? 1 : 0;
  } finally {
    await server?.stop();
    if (server) say(c.dim(`Stopped the OpenCode server (pid ${server.pid}) and the model; nothing is left running.`));
  }
}

/** `pocketpaw demo`: the demo conversation on this terminal. */
export function demo(): Promise<number> {
  return runDemo({
    out: process.stdout,
    err: process.stderr,
    color: colorWanted(),
    ...(process.stderr.isTTY ? { spinnerStream: process.stderr } : {}),
    ...(process.stdin.isTTY ? { terminal: process.stdin } : {}),
  });
}
