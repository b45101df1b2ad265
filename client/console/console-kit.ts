/** What a console page or action receives, and the small helpers they share. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { roleAtLeast, type Principal, type Role } from '../../activities/store';
import { html, type Html } from './html';
import { page, type PageFrame } from './layout';
import type { OwnApi } from './own-api';
import type { Flash } from './sessions';

export interface ConsoleContext {
  request: FastifyRequest;
  reply: FastifyReply;
  principal: Principal;
  api: OwnApi;
  params: Record<string, string>;
  query: Record<string, string>;
  /** The posted form (actions only). */
  form: URLSearchParams;
  flash?: Flash;
  /** The configured links (Temporal Web UI). */
  links: ConsoleLinks;
  /** Today (UTC), the day pages compute with. */
  today: string;
}

export interface ConsoleLinks {
  /** e.g. http://127.0.0.1:8233 — the workflow links of subscription pages. */
  temporalUiUrl?: string;
  temporalNamespace: string;
}

/** What a handler answers: a page, a redirect (after an action), or a raw reply it sent itself. */
export type ConsoleAnswer = { page: Omit<PageFrame, 'principal' | 'flash'> } | { redirect: string; flash?: Flash } | { sent: true };

export const may = (p: Principal, role: Role): boolean => roleAtLeast(p.role, role);

/** Renders a frame with the signed-in user and the pending flash. */
export const render = (ctx: Pick<ConsoleContext, 'principal' | 'flash'>, frame: Omit<PageFrame, 'principal' | 'flash'>): string =>
  page({ ...frame, principal: ctx.principal, ...(ctx.flash ? { flash: ctx.flash } : {}) });

/** A console URL for a connection. */
export const connUrl = (connectionId: string, rest = ''): string => `/console/c/${encodeURIComponent(connectionId)}${rest}`;

/** Where an action goes back to: a console path the form named, else `fallback`. */
export function backTo(form: URLSearchParams, fallback: string): string {
  const back = form.get('back') ?? '';
  return /^\/console(\/[^\s\\]*)?(\?[^\s\\]*)?$/.test(back) && !back.startsWith('//') ? back : fallback;
}

/** The hidden field that brings an action back to the page it was sent from. */
export const backField = (ctx: Pick<ConsoleContext, 'request'>): Html => html`<input type="hidden" name="back" value="${ctx.request.url}">`;

/** "12 reconciled" style status chip. */
export const chip = (status: string, label = status): Html => html`<span class="status status-${status}">${label}</span>`;

/** Disabled unless the role allows it, with the reason as a tooltip (the server refuses anyway). */
export function guarded(p: Principal, role: Role): Html {
  return may(p, role) ? html`` : html` disabled title="Needs the ${role} role; you are ${p.role}"`;
}

/** The flash of an API answer: ok text, or the API's error with its problems. */
export function answerFlash(a: { error?: string; problems?: string[] }, ok: string): Flash {
  return a.error === undefined ? { kind: 'ok', text: ok } : { kind: 'error', text: a.error, ...(a.problems?.length ? { details: a.problems } : {}) };
}
