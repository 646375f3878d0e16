import { describeConfig, formatConfig, type ResolvedConfig } from '@kalisto/core';
import type { Command } from 'commander';
import type { CommandRunner } from '../runner.js';

interface ConfigOptions {
  /** Only the properties given (files, -D, environment), not the defaults. */
  given?: boolean;
}

/**
 * Properties whose value, when not given, is computed from another one that was: the authority
 * is the origin of a given token URL, the token URL follows a given authority. Core reports both
 * as `default`; the table says where they really came from.
 */
const DERIVED_FROM: Readonly<Record<string, string>> = {
  'o365.oauth.authority': 'o365.oauth.url',
  'o365.oauth.url': 'o365.oauth.authority',
};

const isGiven = (source: string | undefined) => source === 'input' || source === 'environment';

/** The property another one's value was derived from, if it was. */
export function derivedFrom(config: ResolvedConfig, property: string): string | undefined {
  const from = Object.hasOwn(DERIVED_FROM, property) ? DERIVED_FROM[property] : undefined;
  if (from === undefined || config.sources[property] !== 'default') return undefined;
  return isGiven(config.sources[from]) ? from : undefined;
}

/** The source shown in the table: `derived (o365.oauth.url)` for a derived value. */
function sourceLabel(config: ResolvedConfig, property: string): string {
  const from = derivedFrom(config, property);
  return from === undefined ? (config.sources[property] ?? 'input') : `derived (${from})`;
}

/** The configuration as `formatConfig` prints it, with derived values labelled as such. */
function formatWithDerived(config: ResolvedConfig): string {
  const sources = Object.fromEntries(
    Object.keys(config.sources).map((property) => [property, sourceLabel(config, property)]),
  );
  // formatConfig prints each source as text; the labels only widen the column.
  return formatConfig({ ...config, sources } as unknown as ResolvedConfig);
}

/** `kalisto config`: the resolved configuration, each value with its source; secrets as ***. */
export function registerConfig(program: Command, runner: CommandRunner): void {
  program
    .command('config')
    .description('show the resolved configuration and where each value came from (secrets as ***)')
    .option('--given', 'only the properties you set, not the defaults')
    .action(
      runner.action<ConfigOptions>(async (context, options) => {
        const config = await context.config();
        const rows = describeConfig(config)
          .filter((row) => !options.given || isGiven(row.source))
          .map((row) => {
            const from = derivedFrom(config, row.property);
            return from === undefined ? row : { ...row, source: 'derived' as const, derivedFrom: from };
          });
        context.output.result({ properties: rows, warnings: config.warnings ?? [] }, () => {
          if (!options.given) return formatWithDerived(config);
          const width = Math.max(8, ...rows.map((row) => row.property.length));
          return rows.map((row) => `${row.property.padEnd(width)}  ${row.value}  (${row.source})`).join('\n');
        });
        return undefined;
      }),
    );
}
