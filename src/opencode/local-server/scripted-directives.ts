// The scripted model's input: the parts of an OpenAI chat completion request it reads, and the
// `[[directives]]` in the prompt that script its answer (see scripted-model.ts for the list).

/** The parts of an OpenAI chat completion request this fake looks at. */
export interface ChatRequestBody {
  model?: string;
  messages?: ChatMessage[];
  tools?: ChatTool[];
  stream?: boolean;
  [key: string]: unknown;
}

export interface ChatMessage {
  role: string;
  content?: string | ChatContentPart[] | null;
  tool_call_id?: string;
  tool_calls?: Array<{ id: string; type: string; function: { name: string; arguments: string } }>;
  [key: string]: unknown;
}

/**
 * One entry of a message's `content` array: `{type:"text",text}`, an image
 * `{type:"image_url",image_url:{url}}` or a file `{type:"file",file:{filename,file_data}}`
 * (how `@ai-sdk/openai-compatible` sends OpenCode's file parts; `*_url`/`file_data` are data URLs).
 */
export interface ChatContentPart {
  type: string;
  text?: string;
  image_url?: { url: string };
  file?: { filename?: string; file_data?: string; file_id?: string };
  [key: string]: unknown;
}

export interface ChatTool {
  type: string;
  function: { name: string; description?: string; parameters?: unknown };
}

/** A directive found in a prompt, e.g. `[[bash:echo hi]]` → { name: "bash", arg: "echo hi" }. */
export interface Directive {
  name: string;
  arg: string;
}

/**
 * Splits out the top-level `[[name:arg]]` (or bare `[[name]]`) directives of a prompt. Brackets
 * are counted, so an argument may itself hold directives (`[[task:[[bash:echo x]]]]`); an
 * argument whose own `[[` and `]]` don't balance is not supported. Returns the directives and
 * the remaining text.
 */
export function parseDirectives(text: string): { directives: Directive[]; rest: string } {
  const directives: Directive[] = [];
  let rest = "";
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf("[[", i);
    if (open < 0) break;
    // `[[name:arg]]`, or `[[name]]` with an empty argument.
    const head = /^\[\[([a-z][a-z-]*)(?::|(?=\]\]))/.exec(text.slice(open));
    const end = head ? findClose(text, open + 2) : -1;
    if (!head || end < 0) {
      // Not a directive (or unterminated): keep the brackets as plain text.
      rest += text.slice(i, open + 2);
      i = open + 2;
      continue;
    }
    rest += text.slice(i, open);
    directives.push({ name: head[1]!, arg: text.slice(open + head[0].length, end) });
    i = end + 2;
  }
  rest += text.slice(i);
  return { directives, rest: rest.trim() };
}

/** Index of the `]]` that closes the `[[` ending just before `from`, or -1. */
function findClose(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length - 1; ) {
    if (text.startsWith("[[", i)) {
      depth++;
      i += 2;
    } else if (text.startsWith("]]", i)) {
      if (--depth === 0) return i;
      i += 2;
    } else {
      i++;
    }
  }
  return -1;
}

/** Text of a message's content, whether a string or an array of `{type:"text",text}` parts. */
export function contentText(content: ChatMessage["content"]): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part) => (part.type === "text" ? (part.text ?? "") : "")).join("");
}
