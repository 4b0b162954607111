/**
 * The token of an STS top-up on its receipt (docs/prepaid-tokens.md, "STS"). The tablet made
 * none: the hub vends it when the payment reaches it. So the receipt shows the token from the
 * account's last snapshot; or, once the payment has synced and the hub is reachable, asks the
 * hub for it by the payment's fact id (the same token however often asked); or says in plain
 * words that the token comes when the tablet syncs.
 */
import { useEffect, useState } from 'preact/hooks';
import type { StsVendAnswer } from '../../shared/protocol.ts';
import type { StoredAccount, StoredFact } from '../db/database.ts';
import { askStsToken, vendInSnapshot } from '../db/sts.ts';
import { useApp, useText } from './context.ts';
import { fill } from './format.ts';
import { TokenBox } from './ReceiptScreen.tsx';

export function StsTokens({
  stored,
  account,
  meterNumber,
}: {
  stored: StoredFact;
  account: StoredAccount | undefined;
  meterNumber: string;
}) {
  const app = useApp();
  const { t, errorOf } = useText();
  const fromSnapshot = vendInSnapshot(account, stored.fact.id);
  const [asked, setAsked] = useState<StsVendAnswer | undefined>();
  const synced = stored.status === 'acked';
  const token = app.session?.token;
  useEffect(() => {
    if (fromSnapshot || !synced || !token) return;
    let live = true;
    void askStsToken({ baseUrl: app.baseUrl, token }, stored.fact.id).then((answer) => {
      if (live && answer.ok) setAsked(answer.value);
    });
    return () => {
      live = false;
    };
  }, [fromSnapshot === undefined, synced, token, stored.fact.id]);
  const vend = fromSnapshot ?? (asked?.outcome === 'vended' ? asked.vend : undefined);
  return (
    <div data-testid="sts-token">
      <p class="sts-meter">
        {t('stsMeter')}: <span data-testid="sts-meter-number">{meterNumber}</span>
      </p>
      {vend ? (
        <>
          <TokenBox tokens={vend.tokens.map((digits, count) => ({ count, digits }))} />
          <p>
            <small data-testid="vend-reference">
              {t('vendReference')}: {vend.vendReference}
            </small>
          </p>
        </>
      ) : (
        <p class="sts-waiting" data-testid="sts-token-waiting">
          {!synced
            ? t('stsTokenAfterSync')
            : asked?.outcome === 'not-sold'
              ? t('stsTokenNotSold')
              : asked?.outcome === 'refused'
                ? fill(t('stsTokenRefused'), { reason: errorOf(asked.reason) })
                : t('stsTokenWaiting')}
        </p>
      )}
    </div>
  );
}
