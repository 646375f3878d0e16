import { describe, expect, it } from 'vitest';
import { APP } from '../../test/config-fixtures.js';
import { findProperty } from './property-table.js';
import { resolveConfig } from './resolve.js';

describe('the TLS floor (mail.<p>.ssl.protocols)', () => {
  it('keeps TLS 1.2 as the minimum when a pasted Java configuration lists TLSv1, and warns', () => {
    const config = resolveConfig({ ...APP, 'mail.imaps.ssl.protocols': 'TLSv1 TLSv1.1 TLSv1.2' });
    expect(config.protocols.imaps?.minTlsVersion).toBe('TLSv1.2');
    expect(config.warnings).toContainEqual({
      property: 'mail.imaps.ssl.protocols',
      message:
        'lists TLSv1, older than TLS 1.2: the minimum stays TLSv1.2 (set mail.imaps.ssl.allowLegacyTls=true to allow it)',
    });
  });

  it('keeps TLS 1.2 even when only legacy versions are listed', () => {
    const config = resolveConfig({ ...APP, 'mail.smtp.ssl.protocols': 'TLSv1' });
    expect(config.protocols.smtp?.minTlsVersion).toBe('TLSv1.2');
    expect(config.warnings?.map((w) => w.property)).toEqual(['mail.smtp.ssl.protocols']);
  });

  it('lowers the floor only with the documented opt-in mail.<p>.ssl.allowLegacyTls=true', () => {
    expect(findProperty('mail.imaps.ssl.allowLegacyTls')).toMatchObject({
      kind: 'boolean',
      default: 'false',
    });
    const config = resolveConfig({
      ...APP,
      'mail.imaps.ssl.protocols': 'TLSv1.1,TLSv1.2',
      'mail.imaps.ssl.allowLegacyTls': 'true',
    });
    expect(config.protocols.imaps?.minTlsVersion).toBe('TLSv1.1');
    expect(config.warnings).toEqual([]);
  });

  it('takes TLSv1.3 as a floor without a warning, and the default stays TLSv1.2', () => {
    const config = resolveConfig({ ...APP, 'mail.pop3s.ssl.protocols': 'TLSv1.3' });
    expect(config.protocols.pop3s?.minTlsVersion).toBe('TLSv1.3');
    expect(config.protocols.imap?.minTlsVersion).toBe('TLSv1.2');
    expect(config.warnings).toEqual([]);
  });
});
