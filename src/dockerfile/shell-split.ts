import { UsageError } from "../errors.js";

/**
 * Splits a command line the way a POSIX shell splits words, without expanding anything: single quotes are
 * literal, double quotes allow `\"`, `\\`, `\$` and `` \` ``, and a backslash outside quotes escapes the next
 * character. `--cmd "python -m app --port 8080"` becomes the exec-form `CMD ["python","-m","app","--port","8080"]`.
 */
export function shellSplit(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === "\\" && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i];
      else word += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\") {
      if (i + 1 >= line.length) throw new UsageError(`--cmd ends with a lone backslash: ${line}`);
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new UsageError(`--cmd has an unterminated ${quote} quote: ${line}`);
  if (inWord) words.push(word);
  return words;
}
