// Splits an argument string the way a user reading it would: on white space, with '…' and "…"
// grouping. No variables, no globbing, no shell: the words are passed to the app as they are.
export function splitArgs(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      // As in a POSIX shell: inside "…" a backslash escapes only $ ` " \ (C:\dir keeps it).
      else if (ch === '\\' && quote === '"' && i + 1 < text.length && '$`"\\'.includes(text[i + 1]!)) word += text[++i];
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (ch === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unclosed ${quote} in arguments`);
  if (inWord) words.push(word);
  return words;
}
