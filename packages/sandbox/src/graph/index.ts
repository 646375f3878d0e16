export {
  GRAPH_REQUEST_KINDS,
  GraphControls,
  type GraphRequestKind,
  type GraphThrottle,
  type GraphThrottleOptions,
} from './controls.js';
export { GRAPH_ERRORS, GRAPH_MAX_REQUEST_BYTES, GraphError } from './errors.js';
export { type GraphServerOptions, type RunningGraphServer, startGraphServer } from './server.js';
