export { createReceiver } from './receiver.js';
export type { Receiver, ReceiverOptions } from './receiver.js';
