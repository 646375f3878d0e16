import { AsyncLocalStorage } from 'node:async_hooks';
import { errorAttributes } from './error-attributes.js';
import { isSafeAttribute, safeAttributes } from './guard.js';
import type { KalistoSpan } from './kalisto-telemetry.js';
import type { OpenTelemetryApi } from './loader.js';
import type { Span, TelemetryAttributes, TelemetryAttributeValue, Tracer } from './types.js';

const SPAN_KIND_INTERNAL = 0;
const STATUS_ERROR = 2;

/** Starts Kalisto's spans on `tracer`; `withSpan` makes a span the parent of those started inside it. */
export interface SpanStarter {
  start(name: string, attributes: TelemetryAttributes | undefined): KalistoSpan;
  within<T>(
    name: string,
    attributes: TelemetryAttributes | undefined,
    run: (span: KalistoSpan) => Promise<T>,
  ): Promise<T>;
}

/**
 * Parents are tracked in an AsyncLocalStorage of Kalisto's own, so `kalisto.token.acquire` is a child
 * of `kalisto.mail.connect` without a context manager registered; the application's active span (when
 * it has one, through the api) is the parent of Kalisto's outermost span.
 */
export function createSpanStarter(tracer: Tracer, api: OpenTelemetryApi | undefined): SpanStarter {
  const current = new AsyncLocalStorage<Span>();

  const parentContext = (): unknown => {
    if (api === undefined) return undefined;
    const parent = current.getStore();
    const active = api.context.active();
    return parent === undefined ? active : api.trace.setSpan(active, parent);
  };

  const open = (name: string, attributes: TelemetryAttributes | undefined): Span =>
    tracer.startSpan(
      name,
      { attributes: safeAttributes(attributes), kind: SPAN_KIND_INTERNAL },
      parentContext(),
    );

  const wrap = (span: Span): KalistoSpan => {
    let ended = false;
    return {
      setAttribute(key: string, value: TelemetryAttributeValue | undefined) {
        if (value !== undefined && isSafeAttribute(key, value)) span.setAttribute(key, value);
      },
      fail(error: unknown) {
        const attributes = errorAttributes(error, {});
        for (const key in attributes) span.setAttribute(key, attributes[key] as TelemetryAttributeValue);
        span.setStatus({ code: STATUS_ERROR, message: attributes['error.type'] as string });
      },
      end() {
        if (ended) return;
        ended = true;
        span.end();
      },
    };
  };

  return {
    start: (name, attributes) => wrap(open(name, attributes)),
    async within(name, attributes, run) {
      const raw = open(name, attributes);
      const span = wrap(raw);
      try {
        const inside = () => current.run(raw, () => run(span));
        return await (api === undefined
          ? inside()
          : api.context.with(api.trace.setSpan(api.context.active(), raw), inside));
      } catch (error) {
        span.fail(error);
        throw error;
      } finally {
        span.end();
      }
    },
  };
}
