/**
 * What the agent sees of an account: the hub's snapshot with the device's own facts that the
 * snapshot does not include yet laid on top, by the rule in shared/protocol.ts: payments not
 * voided pay the oldest bills, bills printed here are open bills, contact edits show.
 */
import { allocatePayment, openBills, type Bill } from '../../shared/billing.ts';
import { minor, type MinorUnits } from '../../shared/money.ts';
import { deviceBalance, pendingEffects, type AccountSnapshot } from '../../shared/protocol.ts';
import type { ContactField } from '../../shared/facts.ts';
import { contactShown, voidedOwn } from './facts.ts';
import type { GridtallyDatabase, StoredAccount, StoredFact } from './database.ts';

export interface AccountView {
  readonly account: StoredAccount;
  readonly balanceMinor: MinorUnits;
  readonly openBills: readonly Bill[];
  readonly unsynced: readonly StoredFact[];
  readonly payments: readonly StoredFact[];
  /** Every fact of this device on the account, in seq order. */
  readonly own: readonly StoredFact[];
  /** Name, phone and address with this device's pending corrections. */
  readonly contact: Record<ContactField, string>;
  /** Ids of this device's payments that a void of its own reverses. */
  readonly voided: ReadonlySet<string>;
  /** The customer's monthly budget (0: none), with this device's pending setting on top. */
  readonly budgetMinor: MinorUnits;
}

export async function accountView(
  db: GridtallyDatabase,
  accountId: string,
): Promise<AccountView | undefined> {
  const account = await db.accounts.get(accountId);
  if (!account) return undefined;
  const own = await db.facts.where('accountId').equals(accountId).sortBy('seq');
  const voided = voidedOwn(own);
  let budgetMinor = account.budgetMinor ?? minor(0);
  for (const stored of pendingEffects(account, own))
    if (stored.fact.kind === 'budget') budgetMinor = minor(stored.fact.body.monthlyMinor);
  const bills = billsWithOwn(account.openBills, account, own, voided);
  return {
    account,
    balanceMinor: deviceBalance(account, own),
    openBills: openBills(bills),
    unsynced: own.filter((fact) => fact.status === 'pending'),
    payments: own.filter((fact) => fact.kind === 'payment'),
    own,
    contact: await contactShown(db, account),
    voided,
    budgetMinor,
  };
}

/**
 * Bills as `snapshot` holds them with this device's facts it does not include laid on top:
 * bills printed here added, payments not voided paying the oldest first.
 */
export function billsWithOwn(
  snapshotBills: readonly Bill[],
  snapshot: AccountSnapshot,
  own: readonly StoredFact[],
  voided: ReadonlySet<string>,
): readonly Bill[] {
  let bills = snapshotBills;
  for (const stored of pendingEffects(snapshot, own)) {
    const fact = stored.fact;
    if (fact.kind === 'spot-bill') {
      bills = [
        ...bills,
        {
          id: fact.id,
          period: fact.body.period,
          issuedOn: fact.recordedAt.slice(0, 10),
          dueOn: fact.recordedAt.slice(0, 10),
          kwh: fact.body.kwh,
          amountMinor: fact.body.totalMinor,
          paidMinor: minor(0),
        },
      ];
    } else if (fact.kind === 'payment' && !voided.has(fact.id)) {
      bills = allocatePayment(bills, fact.body.amountMinor).bills;
    }
  }
  return bills;
}

/** The accounts a query matches, as a collection to read a page of or to count. */
function matching(db: GridtallyDatabase, query: string) {
  const words = query
    .toLowerCase()
    .split(/\s+/)
    .filter((word) => word.length > 0);
  const first = words[0];
  if (first === undefined) return db.accounts.orderBy('accountNumber');
  // The index holds keyed hashes of each word's first letters (client/db/vault.ts); the words
  // themselves are checked on the opened records.
  return db.accounts
    .where('searchWords')
    .equals(db.vault.searchToken(first))
    .distinct()
    .filter((account) =>
      words.every((word) => account.searchWords.some((candidate) => candidate.startsWith(word))),
    );
}

export async function searchAccounts(
  db: GridtallyDatabase,
  query: string,
  limit = 20,
): Promise<StoredAccount[]> {
  const found = await matching(db, query).limit(limit).toArray();
  return query.trim() === ''
    ? found
    : found.sort((a, b) => a.accountNumber.localeCompare(b.accountNumber));
}

/** How many accounts a query matches in all: the results say how many more there are. */
export async function countMatches(db: GridtallyDatabase, query: string): Promise<number> {
  return matching(db, query).count();
}
