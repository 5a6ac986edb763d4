/**
 * Rendering by audience: what people read (email text, a Slack message through AWS Chatbot) and the SNS envelope that
 * carries every audience's body in one Publish request. Pure: no clock, no I/O.
 */
export * from './chat';
export * from './common';
export * from './email';
export * from './envelope';
