import { MAIL_PROTOCOLS } from '@kalisto/core';
import type { Command } from 'commander';
import { protocolsInUse } from '../claims.js';
import type { CliContext } from '../context.js';
import { type CheckResult, problemAndFix, runChecks } from '../doctor/checks.js';
import { planChecks } from '../doctor/plan.js';
import { usageError } from '../errors.js';
import { DOCTOR_EXIT_HELP, EXIT, type ExitCode, exitCodeFor } from '../exit-codes.js';
import type { CommandRunner } from '../runner.js';
import { plural } from '../text.js';

interface DoctorOptions {
  protocols?: string;
  all?: boolean;
  from?: string;
  sendTest?: boolean;
  timeout: string;
}

function printResult(context: CliContext, result: CheckResult): void {
  if (context.output.json) return;
  const c = context.output.colors;
  const mark = { ok: c.green('✓'), warning: c.yellow('!'), failed: c.red('✗'), skipped: c.dim('-') }[
    result.status
  ];
  const title = result.status === 'skipped' ? c.dim(result.title) : result.title;
  const detail =
    result.detail === undefined
      ? ''
      : ` ${c.dim('—')} ${result.status === 'skipped' ? c.dim(result.detail) : result.detail}`;
  const lines = [`  ${mark} ${title}${detail}`];
  if (result.status === 'failed' || result.status === 'warning') {
    const label = result.status === 'failed' ? c.red('problem:') : c.yellow('warning:');
    lines.push(`      ${label} ${result.problem}${result.code ? c.dim(` (${result.code})`) : ''}`);
    if (result.fix) lines.push(`      ${c.bold('fix:')} ${result.fix}`);
  }
  context.output.line(lines.join('\n'));
}

function chosenProtocols(options: DoctorOptions, inUse: string[], known: readonly string[]): string[] {
  if (options.all) return [...MAIL_PROTOCOLS];
  if (options.protocols === undefined) return inUse;
  const chosen = options.protocols
    .split(/[\s,]+/)
    .map((p) => p.trim().toLowerCase())
    .filter(Boolean);
  const unknown = chosen.filter((p) => !known.includes(p));
  if (unknown.length > 0 || chosen.length === 0) {
    throw usageError(
      `--protocols: unknown protocol ${unknown.join(', ') || '(none given)'}.`,
      `Use some of: ${known.join(', ')}.`,
    );
  }
  return [...new Set(chosen)];
}

/**
 * `kalisto doctor`: configuration, DNS/TCP/TLS per host, token, claims audit, logins and Send As —
 * each failure with its fix; dependent checks are skipped, independent ones still run.
 */
export function registerDoctor(program: Command, runner: CommandRunner): void {
  program
    .command('doctor')
    .description('check configuration, network, token, permissions and logins, and say how to fix what fails')
    .option(
      '--protocols <list>',
      'protocols to check, e.g. imaps,smtp or graph (default: mail.store.protocol and mail.transport.protocol)',
    )
    .option('--all', 'check all six protocols')
    .option('--from <address>', 'check that the login may send as this address (default mail.smtp.from)')
    .option(
      '--send-test',
      'send a test message to the sender itself: proves the whole send path (graph: permission, policy, mailbox, quota)',
    )
    .option('--timeout <ms>', 'network timeout per check', '10000')
    .addHelpText('after', `\n${DOCTOR_EXIT_HELP}\n`)
    .action(
      runner.action<DoctorOptions>(async (context, options) => {
        const timeoutMs = Number(options.timeout);
        if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
          throw usageError('--timeout needs a positive whole number of ms.');
        if (!context.output.json) context.output.line(context.output.colors.bold('Kalisto doctor'));
        const results: CheckResult[] = [];
        const report = (result: CheckResult) => {
          results.push(result);
          printResult(context, result);
        };

        let config: Awaited<ReturnType<CliContext['config']>>;
        try {
          config = await context.config();
        } catch (error) {
          report({
            id: 'config',
            title: 'Configuration',
            status: 'failed',
            ...problemAndFix(error),
            exitCode: exitCodeFor(error),
          });
          return finish(context, results);
        }
        const protocols = chosenProtocols(options, protocolsInUse(config), Object.keys(config.protocols));
        const warnings = config.warnings?.length ? `, ${config.warnings.length} warnings` : '';
        report({
          id: 'config',
          title: 'Configuration',
          status: 'ok',
          detail: `flow ${config.oauth.flow} (${config.oauth.provider}), ${config.oauth.tenant ? `tenant ${config.oauth.tenant}` : `token URL ${config.oauth.tokenUrl}`}, checking ${protocols.join(', ')}${warnings}`,
        });
        await runChecks(
          planChecks({
            config,
            session: () => context.session(),
            protocols,
            from: options.from,
            sendTest: options.sendTest === true,
            timeoutMs,
          }),
          report,
        );
        return finish(context, results);
      }),
    );
}

/** Prints the verdict; the exit code is that of the first failure. */
function finish(context: CliContext, results: readonly CheckResult[]): ExitCode {
  const failed = results.filter((r) => r.status === 'failed');
  const exitCode = failed[0]?.exitCode ?? EXIT.ok;
  const c = context.output.colors;
  context.output.result({ ok: failed.length === 0, exitCode, checks: results }, () => {
    const skipped = results.filter((r) => r.status === 'skipped').length;
    const warnings = results.filter((r) => r.status === 'warning').length;
    if (failed.length === 0) {
      const passed = c.green(`All ${results.length} checks passed`);
      return `\n${passed}${warnings ? `, ${c.yellow(plural(warnings, 'warning'))} above` : ''}.`;
    }
    return `\n${c.red(`${failed.length} of ${results.length} checks failed`)}${skipped ? `, ${skipped} skipped` : ''}. Fix the first problem above and run kalisto doctor again.`;
  });
  return exitCode;
}
