import type { Sandbox } from '@kalisto/sandbox';
import { startSandbox } from '@kalisto/sandbox';
import type { TourStep } from '../tour-output.js';

/** Step: start the offline Office 365 in this process. `onStarted` receives it for the later steps. */
export function startSandboxStep(onStarted: (sandbox: Sandbox) => void): TourStep {
  return {
    title: 'Start the Office 365 sandbox',
    explanation:
      'No Microsoft account needed: @kalisto/sandbox emulates the identity platform (HTTPS, AADSTS errors), Exchange Online IMAP, POP3 and SMTP, and Microsoft Graph mail on 127.0.0.1, with its own CA that Kalisto trusts through kalisto.tls.ca.',
    async run() {
      const sandbox = await startSandbox();
      onStarted(sandbox);
      const e = sandbox.endpoints;
      const port = (name: keyof typeof e) => {
        const endpoint = e[name];
        return typeof endpoint === 'string' ? endpoint : String(endpoint.port);
      };
      return {
        lines: [
          `identity platform  ${e.authority}`,
          `IMAP  ${port('imap')} (STARTTLS)   ${port('imaps')} (TLS)`,
          `POP3  ${port('pop3')} (STLS)       ${port('pop3s')} (TLS)`,
          `SMTP  ${port('smtp')} (STARTTLS)   ${port('smtps')} (TLS)`,
          `Graph ${e.graph.url}`,
          `tenant ${sandbox.tenant.domain} (${sandbox.tenant.id})`,
        ],
        outcome: 'identity platform, Graph + six mail ports on loopback',
      };
    },
  };
}
