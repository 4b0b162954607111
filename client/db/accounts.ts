/**
 * What the agent sees of an account: the hub's snapshot with the device's own payments that
 * the snapshot does not include yet laid on top, by the rule in shared/protocol.ts.
 */
import { allocatePayment, openBills, type Bill } from '../../shared/billing.ts';
import type { MinorUnits } from '../../shared/money.ts';
import { deviceBalance, pendingPayments } from '../../shared/protocol.ts';
import type { GridtallyDatabase, StoredAccount, StoredFact } from './database.ts';

export interface AccountView {
  readonly account: StoredAccount;
  readonly balanceMinor: MinorUnits;
  readonly openBills: readonly Bill[];
  readonly unsyncedPayments: readonly StoredFact[];
  readonly payments: readonly StoredFact[];
}

export async function accountView(
  db: GridtallyDatabase,
  accountId: string,
): Promise<AccountView | undefined> {
  const account = await db.accounts.get(accountId);
  if (!account) return undefined;
  const own = await db.facts.where('accountId').equals(accountId).sortBy('seq');
  const pending = pendingPayments(account, own);
  let bills: readonly Bill[] = account.openBills;
  for (const payment of pending) bills = allocatePayment(bills, payment.amountMinor).bills;
  return {
    account,
    balanceMinor: deviceBalance(account, own),
    openBills: openBills(bills),
    unsyncedPayments: own.filter((fact) => fact.status === 'pending'),
    payments: own,
  };
}

export async function searchAccounts(
  db: GridtallyDatabase,
  query: string,
  limit = 20,
): Promise<StoredAccount[]> {
  const words = query
    .toLowerCase()
    .split(/\s+/)
    .filter((word) => word.length > 0);
  const first = words[0];
  if (first === undefined) return db.accounts.orderBy('accountNumber').limit(limit).toArray();
  const found = await db.accounts
    .where('searchWords')
    .startsWith(first)
    .distinct()
    .filter((account) =>
      words.every((word) => account.searchWords.some((candidate) => candidate.startsWith(word))),
    )
    .limit(limit)
    .toArray();
  return found.sort((a, b) => a.accountNumber.localeCompare(b.accountNumber));
}
