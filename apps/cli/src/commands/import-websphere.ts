import { readFile, writeFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { ConfigError, isSecretProperty, resolveConfig, stringifyProperties } from '@kalisto/core';
import type { Command } from 'commander';
import { usageError } from '../errors.js';
import type { CommandRunner } from '../runner.js';
import { chooseSession, parseResourcesXml, parseWebsphereProperties } from '../websphere.js';

interface ImportOptions {
  session?: string;
  output?: string;
}

/** The properties text under a one-line `#` comment (ASCII only, as the .properties text is). */
function withComment(comment: string, properties: Record<string, string>): string {
  return `# ${comment.replace(/[^\x20-\x7e]/g, '?')}\n${stringifyProperties(properties)}`;
}

/** What resolveConfig thinks of the imported properties: its problems as lines, none when it resolves. */
function problemsOf(properties: Record<string, string>): string[] {
  try {
    const config = resolveConfig(properties);
    return (config.warnings ?? []).map((w) => `${w.property}: ${w.message}`);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.property}: expected ${i.expected}`);
    throw error;
  }
}

/**
 * `kalisto import-websphere`: an exported WebSphere mail session (resources.xml or a .properties of
 * its custom properties) as a Kalisto `.properties` file. Secrets are written only to `--output`
 * (mode 0600); the preview on standard output shows them as ***.
 */
export function registerImportWebsphere(program: Command, runner: CommandRunner): void {
  program
    .command('import-websphere')
    .description(
      'turn an exported WebSphere mail session (resources.xml or .properties) into a Kalisto .properties file',
    )
    .argument('<file>', 'resources.xml, or a .properties export of the custom properties')
    .option(
      '--session <name>',
      'the mail session to import, by name or JNDI name (when the file has several)',
    )
    .option('-o, --output <file>', 'write the .properties file here (mode 0600: it may hold secrets)')
    .action(
      runner.action<ImportOptions>(async (context, options, [fileArg]) => {
        const file = String(fileArg);
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch (error) {
          throw usageError(`Cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
        }
        const isXml = extname(file).toLowerCase() === '.xml' || text.trimStart().startsWith('<');
        const session = isXml
          ? chooseSession(await parseResourcesXml(text), options.session)
          : parseWebsphereProperties(text, basename(file));
        const origin = `Imported by kalisto import-websphere from ${basename(file)}, mail session ${session.name}${session.jndiName ? ` (${session.jndiName})` : ''}`;
        const problems = problemsOf(session.properties);
        const redacted = Object.fromEntries(
          Object.entries(session.properties).map(([k, v]) => [k, isSecretProperty(k) ? '***' : v]),
        );
        if (options.output !== undefined) {
          await writeFile(options.output, withComment(origin, session.properties), { mode: 0o600 });
        }
        const data = {
          session: session.name,
          jndiName: session.jndiName,
          properties: redacted,
          output: options.output,
          notes: session.notes,
          problems,
        };
        context.output.result(data, () => {
          const c = context.output.colors;
          const lines =
            options.output === undefined
              ? [
                  withComment(
                    `${origin} (secrets shown as ***; use --output to write them)`,
                    redacted,
                  ).trimEnd(),
                ]
              : [
                  `${c.green('✓')} ${Object.keys(session.properties).length} properties of ${session.name} written to ${options.output} (mode 0600)`,
                ];
          for (const note of session.notes) lines.push(`${c.yellow('note:')} ${note}`);
          for (const problem of problems) lines.push(`${c.yellow('to fix before use:')} ${problem}`);
          if (options.output !== undefined) lines.push(`Next: kalisto --config ${options.output} doctor`);
          return lines.join('\n');
        });
        return undefined;
      }),
    );
}
