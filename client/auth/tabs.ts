/**
 * The tabs of one device share the open data key: a tab that opens while another holds it asks
 * for it and gets it (so a second tab, or a reload with another tab open, needs no PIN), and a
 * sign-out in one tab locks them all. Only the same origin can reach the channel, and a script
 * running there could read the data anyway; a page reloaded with no other tab open asks for
 * the PIN.
 */
import type { Vault } from '../db/vault.ts';

const CHANNEL = 'gridtally-vault';

type VaultMessage =
  | { readonly type: 'ask' }
  | { readonly type: 'key'; readonly master: Uint8Array }
  | { readonly type: 'lock' };

function isMessage(data: unknown): data is VaultMessage {
  if (typeof data !== 'object' || data === null) return false;
  const type = (data as { type?: unknown }).type;
  if (type === 'key') return (data as { master?: unknown }).master instanceof Uint8Array;
  return type === 'ask' || type === 'lock';
}

/**
 * Joins the device's other tabs; resolves once one handed over the key, or after `waitMs` when
 * none did (no other tab open, or none unlocked).
 */
export function joinOtherTabs(vault: Vault, waitMs = 60): Promise<void> {
  if (typeof BroadcastChannel === 'undefined') return Promise.resolve();
  const channel = new BroadcastChannel(CHANNEL);
  let handingOver = false;
  channel.onmessage = (event: MessageEvent<unknown>) => {
    const message = event.data;
    if (!isMessage(message)) return;
    if (message.type === 'ask') {
      const master = vault.master();
      if (master) channel.postMessage({ type: 'key', master });
    } else if (message.type === 'key') {
      if (!vault.unlocked) {
        handingOver = true;
        vault.unlock(message.master);
        handingOver = false;
      }
    } else if (vault.unlocked) {
      vault.lock();
    }
  };
  vault.onChange((unlocked) => {
    // A key taken from another tab is not announced again; a sign-in here or a sign-out is.
    if (handingOver) return;
    const master = vault.master();
    if (unlocked && master) channel.postMessage({ type: 'key', master });
    else if (!unlocked) channel.postMessage({ type: 'lock' });
  });
  return new Promise((resolve) => {
    const done = vault.onChange(() => {
      done();
      resolve();
    });
    setTimeout(() => {
      done();
      resolve();
    }, waitMs);
    channel.postMessage({ type: 'ask' });
  });
}
