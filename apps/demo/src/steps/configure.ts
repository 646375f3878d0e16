import { describeConfig } from '@kalisto/core';
import type { TourStep } from '../tour-output.js';
import type { TourState } from '../tour-state.js';

/** The properties worth showing a newcomer (the rest are hosts, ports and TLS switches). */
const SHOWN = [
  'o365.oauth.tenant',
  'o365.oauth.clientId',
  'o365.oauth.clientSecret',
  'o365.oauth.flow',
  'o365.oauth.scope',
  'o365.user',
  'mail.store.protocol',
  'mail.transport.protocol',
];

/** Step: open the sessions from WebSphere-style properties and show them, secrets redacted. */
export function configureStep(state: () => TourState): TourStep {
  return {
    title: 'Configure three sessions',
    explanation:
      "Kalisto reads the Java library's WebSphere mail-session properties unchanged (o365.*, mail.imap.*, mail.smtp.*), fills in Office 365 defaults and redacts secrets wherever the configuration is printed.",
    async run() {
      const { appSession, userSession, graphSession } = state();
      const graph = (property: string) => `${property}=${graphSession.config.properties[property]}`;
      const rows = describeConfig(appSession.config).filter((row) => SHOWN.includes(row.property));
      const width = Math.max(...rows.map((row) => row.property.length));
      return {
        lines: [
          'app-only session:',
          ...rows.map((row) => `  ${row.property.padEnd(width)}  ${row.value}`),
          `delegated session: flow ${userSession.config.oauth.flow}, user ${userSession.config.oauth.user}, password ***`,
          `graph session: the app-only properties with ${graph('mail.transport.protocol')}, ${graph('mail.store.protocol')}`,
        ],
        outcome: `${Object.keys(appSession.config.properties).length} properties resolved, secrets shown as ***`,
      };
    },
  };
}
