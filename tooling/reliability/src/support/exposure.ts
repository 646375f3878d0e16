/** Everything a scenario let out (log lines, errors, output), scanned for secrets at the end. */
import { leaksIn } from './secrets.js';

export class Exposure {
  readonly #texts: { source: string; text: string }[] = [];

  /** Records one piece of text that left the code under test (a log line, an error, CLI output). */
  add(source: string, text: string): void {
    this.#texts.push({ source, text });
  }

  get size(): number {
    return this.#texts.length;
  }

  /** `label in source` for every secret (or JWT) found, at most `limit` of them. */
  leaks(secrets: Readonly<Record<string, string>>, limit = 8): string[] {
    const found: string[] = [];
    for (const { source, text } of this.#texts) {
      for (const leak of leaksIn(text, secrets)) {
        found.push(`${leak} in ${source}`);
        if (found.length >= limit) return found;
      }
    }
    return found;
  }
}
