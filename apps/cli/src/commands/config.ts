import { describeConfig, formatConfig } from '@kalisto/core';
import type { Command } from 'commander';
import type { CommandRunner } from '../runner.js';

interface ConfigOptions {
  /** Only the properties given (files, -D, environment), not the defaults. */
  given?: boolean;
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
        const rows = describeConfig(config).filter(
          (row) => !options.given || row.source === 'input' || row.source === 'environment',
        );
        context.output.result({ properties: rows, warnings: config.warnings ?? [] }, () => {
          if (!options.given) return formatConfig(config);
          const width = Math.max(8, ...rows.map((row) => row.property.length));
          return rows.map((row) => `${row.property.padEnd(width)}  ${row.value}  (${row.source})`).join('\n');
        });
        return undefined;
      }),
    );
}
