import { describe, expect, it } from 'vitest';
import { envelopeError, envelopeProblem, headerEnvelope } from './envelope.js';

const message = {
  from: 'Adele <adele@contoso.example>',
  to: 'megan@contoso.example',
  cc: ['lynne@contoso.example'],
  bcc: 'audit@contoso.example',
};

describe('the envelope Graph can express', () => {
  it('is the one the headers give, Bcc included', () => {
    expect(headerEnvelope(message)).toEqual({
      from: 'adele@contoso.example',
      to: ['megan@contoso.example', 'lynne@contoso.example', 'audit@contoso.example'],
    });
    expect(envelopeProblem(message, headerEnvelope(message))).toBeUndefined();
  });

  it('an explicit envelope equal to the headers (any order, any case) is fine', () => {
    const envelope = {
      from: 'ADELE@contoso.example',
      to: ['audit@contoso.example', 'megan@contoso.example', 'lynne@contoso.example'],
    };
    expect(envelopeProblem({ ...message, envelope }, envelope)).toBeUndefined();
  });

  it('a different sender or other recipients are refused, never rewritten', () => {
    const bounce = { from: 'bounces@contoso.example', to: headerEnvelope(message).to };
    expect(envelopeProblem({ ...message, envelope: bounce }, bounce)).toMatch(
      /envelope sender bounces@contoso\.example differs from the From header \(adele@contoso\.example\)/,
    );
    const other = { from: 'adele@contoso.example', to: ['someone-else@contoso.example'] };
    expect(envelopeProblem({ ...message, envelope: other }, other)).toMatch(/envelope recipients/);
    expect(envelopeProblem({ ...message, dsn: { notify: 'SUCCESS' } }, headerEnvelope(message))).toMatch(
      /dsn/,
    );
    expect(envelopeError('x')).toMatchObject({ code: 'GRAPH_ENVELOPE_UNSUPPORTED', transient: false });
  });
});
