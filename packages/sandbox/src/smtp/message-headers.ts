/** The header fields the submission checks need, read with mailparser (encoded words, groups, folding). */
import { type AddressObject, simpleParser } from 'mailparser';

export interface SubmissionHeaders {
  /** Every address of the From field, lower case. */
  from: string[];
  messageId: string | undefined;
}

function headerSection(raw: Buffer): Buffer {
  const end = raw.indexOf('\r\n\r\n');
  return end === -1 ? raw : raw.subarray(0, end + 4);
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const objects = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return objects
    .flatMap((object) => object.value)
    .flatMap((entry) => (entry.group ? entry.group : [entry]))
    .map((entry) => entry.address?.toLowerCase())
    .filter((address): address is string => Boolean(address));
}

/** Reads From and Message-ID from a message's header section (the body is not parsed). */
export async function readSubmissionHeaders(raw: Buffer): Promise<SubmissionHeaders> {
  const parsed = await simpleParser(headerSection(raw), { skipHtmlToText: true, skipTextToHtml: true });
  return { from: addresses(parsed.from), messageId: parsed.messageId };
}
