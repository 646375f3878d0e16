export {
  createOutlook,
  createOutlookSession,
  type OutlookOptions,
  outlookProtocols,
} from './outlook.js';
