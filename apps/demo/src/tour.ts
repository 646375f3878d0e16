/**
 * The Kalisto tour: every part of the library against the in-process Office 365 sandbox, step by
 * step, ending with a summary. `runTour` is what `pnpm demo` runs; tests call it too.
 */
import type { Sandbox } from '@kalisto/sandbox';
import { createTourKalisto } from './kalisto.js';
import { configureStep } from './steps/configure.js';
import { badSecretStep } from './steps/failure.js';
import { graphReadStep, graphSendStep } from './steps/graph.js';
import { imapReadStep, pop3ReadStep } from './steps/read.js';
import { startSandboxStep } from './steps/sandbox.js';
import { sendStep } from './steps/send.js';
import { tokenEconomyStep } from './steps/token-economy.js';
import { clientCredentialsStep, passwordGrantStep } from './steps/tokens.js';
import { type StepResult, TourPrinter } from './tour-output.js';
import { graphProperties, passwordGrantProperties, type TourState } from './tour-state.js';

export interface RunTourOptions {
  /** Where the tour prints (default: standard output). */
  write?: (text: string) => void;
}

export interface TourOutcome {
  /** True when every step passed. */
  readonly ok: boolean;
  readonly results: readonly StepResult[];
}

/** Runs the whole tour; never throws: a failed step is reported and the tour goes on where it can. */
export async function runTour(options: RunTourOptions = {}): Promise<TourOutcome> {
  const printer = new TourPrinter(options.write ?? ((text) => process.stdout.write(text)));
  printer.heading('Kalisto tour: Microsoft 365 mail over OAuth2, on an offline Office 365', [
    'Every step below runs the real libraries (MSAL, imapflow, nodemailer, our POP3 and Graph clients)',
    'against @kalisto/sandbox on 127.0.0.1. Nothing leaves this machine and no secret is printed.',
  ]);

  let sandbox: Sandbox | undefined;
  let state: TourState | undefined;
  const current = (): TourState => {
    if (state === undefined) throw new Error('The sandbox did not start.');
    return state;
  };
  try {
    const started = await printer.run(
      startSandboxStep((s) => {
        sandbox = s;
      }),
    );
    if (started.ok && sandbox !== undefined) {
      const kalisto = createTourKalisto();
      const megan = sandbox.fixtures.users.megan;
      state = {
        sandbox,
        kalisto,
        appSession: kalisto.session(sandbox.properties),
        userSession: kalisto.session(passwordGrantProperties(sandbox, megan.upn, megan.password)),
        graphSession: kalisto.session(graphProperties(sandbox)),
        mailbox: sandbox.properties['o365.user'] ?? '',
        user: megan.upn,
        subjects: [],
      };
      const box = () => current().sandbox;
      for (const step of [
        configureStep(current),
        clientCredentialsStep(() => current().appSession),
        passwordGrantStep(() => current().userSession),
        sendStep('smtp', current),
        sendStep('smtps', current),
        imapReadStep('imap', 'app', current),
        imapReadStep('imaps', 'user', current),
        pop3ReadStep('pop3', current),
        pop3ReadStep('pop3s', current),
        graphSendStep(current),
        graphReadStep(current),
        tokenEconomyStep(box),
        badSecretStep(box),
      ]) {
        await printer.run(step);
      }
    }
  } finally {
    await state?.kalisto.close();
    await sandbox?.stop();
  }
  printer.summary();
  return { ok: printer.results.every((r) => r.ok), results: printer.results };
}
