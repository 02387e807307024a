/** Roster roles (member.role). Who may do what is decided in src/auth/policy.ts; labels live in src/cards/labels.ts. */
export const ROLES = ['leader', 'deputy', 'member', 'office', 'lead_unit', 'secretary'] as const;
export type Role = (typeof ROLES)[number];
