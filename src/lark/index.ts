export {
  createLarkSender,
  createLarkRateLimiter,
  idempotencyUuid,
  textContent,
  limiterKeys,
  DEFAULT_LIMITS,
  DEFAULT_RETRY,
  type LarkSender,
  type LarkSenderOptions,
  type LarkRateLimits,
  type LarkRetryOptions,
  type SendMessageInput,
  type ReplyMessageInput,
  type PatchCardInput,
  type SentMessage,
  type BotInfo,
  type ReceiveIdType,
  type MsgType,
} from './sender.js';
export { LarkApiError, isLarkApiError, RATE_LIMIT_CODE, CARD_PATCH_RATE_LIMIT_CODE, TOKEN_INVALID_CODES, type LarkApiErrorFields } from './lark-error.js';
export { createRateLimiter, type RateLimiter, type RateLimiterOptions, type RateRule, type RateTicket } from './rate-limiter.js';
