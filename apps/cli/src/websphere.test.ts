import { describe, expect, it } from 'vitest';
import { chooseSession, parseResourcesXml, parseWebsphereProperties } from './websphere.js';

const xml = (sessions: string, providers = '') => `<?xml version="1.0" encoding="UTF-8"?>
<xmi:XMI xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI" xmlns:resources.mail="http://www.ibm.com/websphere/appserver/schemas/5.0/resources.mail.xmi">
  <resources.mail:MailProvider xmi:id="builtin_mailprovider" name="Built-in Mail Provider">
    <protocolProviders xmi:id="builtin_smtp" protocol="smtp" classname="com.sun.mail.smtp.SMTPTransport" type="TRANSPORT"/>
    <protocolProviders xmi:id="builtin_pop3" protocol="pop3" classname="com.sun.mail.pop3.POP3Store" type="STORE"/>
    ${providers}
    ${sessions}
  </resources.mail:MailProvider>
</xmi:XMI>`;

describe('parseResourcesXml', () => {
  it('maps the session attributes through the protocol providers, and copies custom properties', async () => {
    const [session] = await parseResourcesXml(
      xml(`<factories xmi:type="resources.mail:MailSession" xmi:id="MailSession_1" name="mail" jndiName="mail/Session"
        mailTransportHost="smtp.office365.com" mailTransportPort="587" mailTransportUser="a@contoso.example"
        mailTransportProtocol="builtin_smtp" mailStoreHost="outlook.office365.com" mailStorePort="0"
        mailStoreProtocol="builtin_pop3" mailFrom="a@contoso.example" debug="true">
        <propertySet xmi:id="Set_1">
          <resourceProperties xmi:id="P_1" name="o365.oauth.tenant" type="java.lang.String" value="contoso.example"/>
          <resourceProperties xmi:id="P_2" name="mail.pop3.ssl.enable" type="java.lang.String" value="true"/>
          <resourceProperties xmi:id="P_3" name="note" value="a &amp; b &lt;c&gt;"/>
        </propertySet>
      </factories>`),
    );
    expect(session).toEqual({
      name: 'mail',
      jndiName: 'mail/Session',
      notes: [],
      properties: {
        'mail.transport.protocol': 'smtp',
        'mail.smtp.class': 'com.sun.mail.smtp.SMTPTransport',
        'mail.smtp.host': 'smtp.office365.com',
        'mail.smtp.port': '587',
        'mail.smtp.user': 'a@contoso.example',
        'mail.store.protocol': 'pop3',
        'mail.pop3.class': 'com.sun.mail.pop3.POP3Store',
        'mail.pop3.host': 'outlook.office365.com',
        'mail.smtp.from': 'a@contoso.example',
        'mail.debug': 'true',
        'o365.oauth.tenant': 'contoso.example',
        'mail.pop3.ssl.enable': 'true',
        note: 'a & b <c>',
      },
    });
  });

  it('follows href references (resources.xml#id) in attributes and child elements', async () => {
    const [session] = await parseResourcesXml(
      xml(`<factories xmi:type="resources.mail:MailSession" xmi:id="S" name="s" mailStoreProtocol="resources.xml#builtin_pop3">
        <mailTransportProtocol href="resources.xml#builtin_smtp"/>
      </factories>`),
    );
    expect(session?.properties['mail.store.protocol']).toBe('pop3');
    expect(session?.properties['mail.transport.protocol']).toBe('smtp');
  });

  it('says that passwords are not copied, without copying them', async () => {
    const [session] = await parseResourcesXml(
      xml(
        `<factories xmi:type="resources.mail:MailSession" xmi:id="S" name="s" mailStorePassword="{xor}LDo8LTor"/>`,
      ),
    );
    expect(session?.notes).toEqual([expect.stringContaining('mailStorePassword was set but is not copied')]);
    expect(JSON.stringify(session?.properties)).not.toContain('{xor}');
  });

  it('also reads <mailSessions> elements and ignores other factories', async () => {
    const sessions = await parseResourcesXml(
      xml(`<factories xmi:type="resources.url:URL" xmi:id="U" name="not-mail"/>
        <mailSessions xmi:id="M" name="legacy" mailStoreHost="imap.example"/>`),
    );
    expect(sessions.map((s) => s.name)).toEqual(['legacy']);
    expect(sessions[0]?.properties['mail.imap.host']).toBe('imap.example');
  });

  it('refuses text that is not XML', async () => {
    await expect(parseResourcesXml('<a><b></a>')).rejects.toMatchObject({ code: 'CLI_USAGE' });
  });
});

describe('chooseSession and parseWebsphereProperties', () => {
  const sessions = [
    { name: 'a', jndiName: 'mail/a', properties: {}, notes: [] },
    { name: 'b', jndiName: undefined, properties: {}, notes: [] },
  ];

  it('picks by name or JNDI name, and lists the sessions when the choice is missing or wrong', () => {
    expect(chooseSession(sessions, 'mail/a').name).toBe('a');
    expect(chooseSession(sessions, 'b').name).toBe('b');
    expect(() => chooseSession(sessions, undefined)).toThrow('The file has 2 mail sessions.');
    expect(() => chooseSession(sessions, 'c')).toThrow('No mail session "c" in the file.');
    expect(() => chooseSession([], undefined)).toThrow('No mail session in the file');
    expect(chooseSession([sessions[1]!], undefined).name).toBe('b');
  });

  it('takes a .properties export as one session', () => {
    expect(parseWebsphereProperties('o365.user=a@b.example\n', 'x.properties')).toEqual({
      name: 'x.properties',
      jndiName: undefined,
      properties: { 'o365.user': 'a@b.example' },
      notes: [],
    });
  });
});
