/**
 * The identity platform's HTTP agent is core's one factory (`createHttpAgent`: CA, proxy, deadline,
 * reply size cap); this module keeps the name the provider imports until it imports core directly.
 */
export {
  createHttpAgent as createDispatcher,
  type HttpAgentOptions as DispatcherOptions,
} from '@kalisto/core';
