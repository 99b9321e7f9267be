/**
 * JSON documents skip the YAML parser: `yaml` builds a full syntax tree and needs seconds for a
 * 1 MB config of 10,000 routes, JSON.parse takes milliseconds. The meaning is the same (JSON is
 * YAML), except that JSON.parse quietly keeps the last of duplicate keys where the YAML parser
 * (src/config's parseConfigText, uniqueKeys) refuses them, so duplicates are looked for here.
 * Anything JSON.parse refuses goes to the YAML parser, whose errors carry line numbers.
 */

/** The parsed document, or undefined when the text is not plain JSON. Throws on a duplicate key. */
export function parseJsonFast(text: string): { value: unknown } | undefined {
  const start = text.search(/\S/);
  if (start < 0 || text[start] !== '{') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const dup = findDuplicateKey(text);
  if (dup) throw new DuplicateKeyError(dup.key, lineOf(text, dup.at));
  return { value };
}

export class DuplicateKeyError extends Error {
  constructor(readonly key: string, readonly line: number) {
    super(`duplicate key "${key}" (line ${line})`);
    this.name = 'DuplicateKeyError';
  }
}

/**
 * One pass over text that JSON.parse accepted: a stack of key sets, one per open object (null for
 * arrays); a string is a key when it follows "{" or "," inside an object.
 */
function findDuplicateKey(text: string): { key: string; at: number } | undefined {
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const begin = i;
      for (i++; text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
      const keys = stack[stack.length - 1];
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(begin, i + 1)) as string;
        if (keys.has(key)) return { key, at: begin };
        keys.add(key);
        expectKey = false;
      }
    } else if (c === 0x7b /* { */) {
      stack.push(new Set());
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      stack.push(null);
      expectKey = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = stack[stack.length - 1] instanceof Set;
    }
  }
  return undefined;
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 0x0a) line++;
  return line;
}
