// logging/ — the injected pino-shaped logger and the redactor that scrubs secrets at the source.

export {
  type ConsoleLoggerOptions,
  consoleLogger,
  type Logger,
  type LogLevel,
  silentLogger,
  withRedaction,
} from './logger.js';
export { createRedactor, type Redactor } from './redactor.js';
