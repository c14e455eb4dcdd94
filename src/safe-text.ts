// Text fit for a terminal: control, format (bidi, zero-width), separator and lone-surrogate
// characters shown as \uXXXX escapes, so that a process name, a namespace or an audit record
// cannot rewrite or hide what the owner reads (docs/threat-model.md §T14).
/** What a secret value reads wherever one is held back: outputs, the audit log, dry-run explanations. */
export const REDACTED = '[redacted]';

/**
 * What a terminal must not receive from a record: control characters (C0, DEL, C1: ESC and CSI
 * sequences), invisible and bidirectional formatting characters (\p{Cf}: U+202E, U+200B,
 * U+2066–2069, U+FEFF, the tag characters …), line and paragraph separators, and lone surrogates.
 * Each UTF-16 unit of one is shown as \uXXXX, the spelling JSON uses.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

function escapeUnits(c: string): string {
  let out = '';
  for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}

/** For plain text: a backslash is doubled too, so that a name cannot spell a fake escape. */
export function safe(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(UNSAFE, escapeUnits);
}

/**
 * For JSON text: JSON.stringify leaves DEL, C1 controls, U+2028/2029 and the \p{Cf} characters
 * as they are. Outside strings JSON text holds only ASCII punctuation, digits and words, so every
 * such character is inside a string, where \uXXXX is its valid escape: the text stays the same JSON.
 */
export function safeJson(json: string): string {
  return json.replace(UNSAFE_BUT_LAYOUT, escapeUnits);
}

/** Tabs and line breaks stay: JSON.stringify escapes them inside strings, so outside they are layout. */
const UNSAFE_BUT_LAYOUT = /(?![\t\n\r])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

const UNSAFE_BUT_TAB = /(?!\t)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/**
 * For one line an app wrote (a log line, an error line), shown as one line of a reply: as
 * safeReply, and a carriage return inside it escaped too — raw, a terminal would overwrite the
 * line's start with what follows it, and a client splitting lines at it would count one more.
 */
export function safeLine(text: string): string {
  return text.replace(UNSAFE_BUT_TAB, escapeUnits);
}

/**
 * For a tool's reply text (an error quoting what the client sent, say): the same characters
 * escaped, tabs and line breaks kept, backslashes left alone so JSON-quoted names read as before.
 */
export function safeReply(text: string): string {
  return text.replace(UNSAFE_BUT_LAYOUT, escapeUnits);
}
