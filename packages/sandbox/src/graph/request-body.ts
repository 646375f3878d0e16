/** Reading Graph request bodies: JSON objects, and base64 MIME (`Content-Type: text/plain`). */
import type { GraphRequest } from './context.js';
import { GRAPH_ERRORS } from './errors.js';

/** The request body as a JSON object; 400 when it is not one. */
export function jsonBody(request: GraphRequest): Record<string, unknown> {
  if (request.body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(request.body.toString('utf8'));
  } catch (error) {
    throw GRAPH_ERRORS.badJson((error as Error).message);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw GRAPH_ERRORS.badJson('The body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

/** The MIME message a `text/plain` body carries as base64 (whitespace allowed between characters). */
export function mimeBody(request: GraphRequest): Buffer {
  const text = request.body.toString('latin1').replace(/\s+/g, '');
  if (text === '' || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    throw GRAPH_ERRORS.mimeNotBase64();
  }
  return Buffer.from(text, 'base64');
}

/** The body's format: MIME for text/plain, JSON for application/json (or no type); 415 otherwise. */
export function bodyFormat(request: GraphRequest): 'mime' | 'json' {
  const type = request.contentType;
  if (type === 'text/plain') return 'mime';
  if (type === 'application/json' || type === '') return 'json';
  throw GRAPH_ERRORS.unsupportedMediaType(type);
}
