// The Feishu / Lark card link: a session mirrored in an interactive card that can send prompts.
export { FeishuApi, resolveTarget, type Target, type UserToken } from "./api.ts";
export { SessionCard } from "./card.ts";
export { FeishuError } from "./errors.ts";
export { type CardAction, describeTarget, FeishuLink, type LinkHost, type Toast } from "./link.ts";
export { DEFAULT_API_BASE, type FeishuSettings, feishuSettings } from "./settings.ts";
