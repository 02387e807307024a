/**
 * A receiver turns events from one source into calls of the shared handlers and nothing else:
 * the long connection and the webhook hand Lark events to the EventRouter (./events.ts: a
 * message is queued and acknowledged, a card callback answered), the console hands typed lines
 * to handleMessage / handleCardAction. This seam stays narrow so that a durable inbox can sit
 * between the Lark receivers and the handlers (EventRouter.message) without touching them.
 */
export interface Receiver {
  /** Starts accepting events; rejects when it cannot (port in use, bad app id). */
  start(): Promise<void>;
  /** Stops accepting events (work already accepted is drained by the runtime). */
  stop(): Promise<void>;
  /** Resolves when the receiver ends by itself (console input closed); never for the Lark receivers. */
  readonly ended: Promise<void>;
}
