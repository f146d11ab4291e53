/**
 * Text that pocketpaw did not write (the model's words and reasoning, tool input and output,
 * conversation titles, the server's error messages, permission patterns) made safe to print.
 *
 * A terminal obeys control characters wherever they come from: OSC 52 writes the clipboard, OSC 0
 * the window title, `ESC[2J` clears the screen, OSC 8 makes links, a lone CR goes back and
 * overwrites the line. So every C0 control but `\n` and `\t`, DEL, and every C1 control is shown
 * as a visible symbol instead: C0 as Unicode's control pictures (ESC → ␛, BEL → ␇, CR → ␍), DEL
 * as ␡, a C1 control as its 7-bit form (CSI U+009B → ␛[). A CR is kept before a LF (Windows line
 * ends are harmless). Pipes get the same: what is piped is often shown on a terminal later.
 *
 * Our own colours are added after, around text already made safe.
 */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]|\r(?!\n)/g;

export function safeText(text: string): string {
  return text.replace(CONTROL, (char) => {
    const code = char.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return "\u2421";
    return `\u241b${String.fromCharCode(code - 0x40)}`;
  });
}
