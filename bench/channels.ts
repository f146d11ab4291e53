// Benchmark 6: the chat channels' path. The real OpenCode server on the scripted model, and for
// Telegram, Slack and Discord in turn the real channel adapter on the loopback fake of the
// platform (bench/channel-chats.ts). A person writes a message that makes the model stream words
// for a few seconds; on one clock (Date.now() in this process, which runs the model, the fakes
// and the channels): when the model wrote its first word, when the fake received the first
// message or edit showing it, and the writes to the chat while the words stream.
//
// Turns alternate between a chat left idle for a pacing interval (a person reading, then
// writing) and one written to just before (the message sent as soon as the previous turn ended):
// the chat's pacer then holds the first write until its next slot, the design's worst case.

import { PACE_HEADROOM } from "../src/channels/core/messenger.js";
import { type ScriptedModel, startScriptedModel } from "../src/opencode/local-server/scripted-model.js";
import { startOpenCode } from "../test/support/opencode-server.js";
import { eventually } from "../test/support/run.js";
import { type BenchChat, type ChatWrite, discordChat, slackChat, telegramChat } from "./channel-chats.js";
import { fixed, median, percentile, type Section, type Target, target, within } from "./report.js";

export interface ChannelsOptions {
  /** Measured turns per platform, half of them in an idle chat. */
  turns: number;
  /** Words the model streams per turn, one every delayMs. */
  chunks: number;
  delayMs: number;
}

export const CHANNELS_DEFAULTS: ChannelsOptions = { turns: 6, chunks: 30, delayMs: 50 };

/** The pipeline's share of the first write's delay, on top of a pacing interval at worst. */
const PIPELINE_MS = 250;

interface Turn {
  idle: boolean;
  /** Model's first word → the fake received the first write showing it. */
  firstMs: number;
  /** The writes from that first one to the one showing the last word. */
  stream: ChatWrite[];
}

/** One turn: the prompt written, the whole reply awaited, then the turn's end in the backend. */
async function turn(chat: BenchChat, model: ScriptedModel, o: ChannelsOptions, tag: string, idle: boolean): Promise<Turn> {
  const since = Date.now();
  chat.say(`[[delay:${o.delayMs}]][[chunks:${o.chunks}]] ${tag}`);
  const last = new RegExp(`\\bw${o.chunks - 1}\\b`);
  const writes = await eventually(
    () => {
      const w = chat.writes(since);
      return w.some((x) => last.test(x.text)) && chat.idle() ? w : undefined;
    },
    o.chunks * o.delayMs + 30_000,
    `${chat.platform}: the reply to "${tag}"`,
  );
  const firstWord = model.requests.find((r) => !r.isTitle && r.userText.includes(tag))?.firstTextAt;
  const start = writes.findIndex((w) => /\bw0\b/.test(w.text));
  const end = writes.findIndex((w) => last.test(w.text));
  if (firstWord === undefined || start < 0) throw new Error(`${chat.platform}: no first word for "${tag}"`);
  return { idle, firstMs: (writes[start] as ChatWrite).at - firstWord, stream: writes.slice(start, end + 1) };
}

async function measure(chat: BenchChat, model: ScriptedModel, o: ChannelsOptions): Promise<Turn[]> {
  // A warm-up: the chat's conversation is created, and the first prompt of the server is slow.
  await turn(chat, model, { ...o, chunks: 3 }, `${chat.platform} warm-up`, true);
  const turns: Turn[] = [];
  for (let i = 0; i < o.turns; i++) {
    const idle = i % 2 === 0;
    // The turn has ended in the core a moment after the backend's run (its last write answered).
    await new Promise((r) => setTimeout(r, idle ? chat.intervalMs * PACE_HEADROOM + PIPELINE_MS : 50));
    turns.push(await turn(chat, model, o, `${chat.platform} turn ${i}.`, idle));
  }
  return turns;
}

/** Writes per second over the turns' streams (first write to last, pooled), and the smallest gap. */
function rate(streams: ChatWrite[][]): { perSecond: number; minGapMs: number } {
  let gaps = 0;
  let span = 0;
  let minGapMs = Number.POSITIVE_INFINITY;
  for (const s of streams) {
    if (s.length < 2) continue;
    gaps += s.length - 1;
    span += (s.at(-1) as ChatWrite).at - (s[0] as ChatWrite).at;
    for (let i = 1; i < s.length; i++) minGapMs = Math.min(minGapMs, (s[i] as ChatWrite).at - (s[i - 1] as ChatWrite).at);
  }
  return { perSecond: span > 0 ? (gaps * 1000) / span : Number.NaN, minGapMs };
}

const ms = (n: number) => `${fixed(n, 0)} ms`;

function report(chat: BenchChat, turns: Turn[], refusals: number): { row: string[]; targets: Target[] } {
  const idle = turns.filter((t) => t.idle).map((t) => t.firstMs);
  const busy = turns.filter((t) => !t.idle).map((t) => t.firstMs);
  const all = turns.map((t) => t.firstMs);
  const writes = rate(turns.map((t) => t.stream));
  const paced = chat.intervalMs * PACE_HEADROOM;
  const bound = paced + PIPELINE_MS;
  const row = [
    chat.platform,
    ms(paced),
    ms(median(idle)),
    ms(percentile(idle, 90)),
    ms(median(busy)),
    ms(percentile(busy, 90)),
    `${fixed(writes.perSecond, 3)}/s`,
    ms(writes.minGapMs),
    String(refusals),
    chat.limit.text,
  ];
  const targets = [
    target(`${chat.platform}: writes per second in the chat while streaming`, writes.perSecond, "<=", chat.limit.perSecond, 3),
    target(`${chat.platform}: first word → first visible write, p90 (ms)`, percentile(all, 90), "<=", bound, 0),
  ];
  const { editsPerMinute } = chat.limit;
  if (editsPerMinute) {
    const edits = rate(turns.map((t) => t.stream.filter((w) => w.edit)));
    targets.push(target(`${chat.platform}: edits per minute while streaming`, edits.perSecond * 60, "<=", editsPerMinute, 1));
  }
  return { row, targets };
}

export async function channels(o: ChannelsOptions = CHANNELS_DEFAULTS): Promise<Section> {
  const model = await startScriptedModel();
  const server = await startOpenCode({ modelBaseURL: model.baseURL });
  const rows: string[][] = [];
  const targets: Target[] = [];
  const paces: string[] = [];
  try {
    for (const open of [telegramChat, slackChat, discordChat]) {
      const chat = await open(server.url);
      try {
        const turns = await within(120_000, `${chat.platform}'s turns`, measure(chat, model, o));
        const { row, targets: t } = report(chat, turns, chat.refusals());
        rows.push(row);
        targets.push(...t);
        paces.push(`${chat.platform}: ${chat.pace}`);
      } finally {
        await chat.close();
      }
    }
  } finally {
    await server.stop();
    await model.close();
  }
  return {
    title: "6. Chat channels: the model's first word → the platform's first visible write, and the edit rate per chat",
    table: [
      [
        "platform",
        "paced at",
        "first visible, idle chat: median",
        "p90",
        "chat just written: median",
        "p90",
        "writes/s per chat",
        "smallest gap",
        "429s",
        "platform's limit per chat",
      ],
      ...rows,
    ],
    targets,
    notes: [
      `${o.turns} turns per platform after a warm-up, each streaming ${o.chunks} words ${o.delayMs} ms apart; half sent to a chat idle for a pacing interval + ${PIPELINE_MS} ms, half 50 ms after the previous turn ended (its last write then holds the chat's next slot)`,
      "first visible: Date.now() when the fake received the first send or edit showing the first word, minus when the scripted model wrote that word; writes/s: sends and edits between the first and the one showing the last word, pooled over the turns",
      `paced at: the adapter's interval per chat × ${PACE_HEADROOM} (the core's headroom); bound on the first write: that (the chat's slot may have just been taken) + ${PIPELINE_MS} ms for the server, backend, core and platform library`,
      ...paces.map((p) => `pace in the code: ${p}`),
    ],
  };
}
