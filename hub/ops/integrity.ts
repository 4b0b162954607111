/**
 * The integrity check, run at start and on demand (`npm run hub -- check`). It reads the store
 * and names every row that does not agree with the others:
 *
 * - each device's facts form its hash chain: seq 1…head without a gap, each document hashing to
 *   its hash and linking to the previous one, the chain ending at the device's recorded head;
 *   each fact row's columns say what its document says;
 * - each account's balance is the sum of its ledger entries, and each fact's ledger entry is
 *   what its projection says it did (a payment applied: minus its amount; a void applied: plus
 *   what it reversed; a bill issued: plus its total), with each payment row matching its fact;
 * - the audit log's hash chain is unbroken;
 * - on SQLite, the engine's own `integrity_check`.
 *
 * A problem names the table, the row and what is wrong, in words an operator can act on.
 */
import { sql } from 'kysely';
import { factHash, factSchema, withoutHash, type Fact } from '../../shared/facts.ts';
import { GENESIS_HASH } from '../../shared/hash.ts';
import { flagsThatStillApply, type FlagReason } from '../../shared/protocol.ts';
import { auditHash } from '../store/audit.ts';
import type { Store } from '../store/store.ts';

export interface Problem {
  /** Where: a table and the row's key. */
  readonly where: string;
  readonly what: string;
}

export async function checkIntegrity(store: Store): Promise<Problem[]> {
  return store.readTransaction(async (trx) => {
    const problems: Problem[] = [];
    const report = (where: string, what: string) => problems.push({ where, what });

    if (store.engine === 'sqlite') {
      const result = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(trx);
      for (const row of result.rows)
        if (row.integrity_check !== 'ok') report('sqlite', row.integrity_check);
    }

    // Chains.
    const devices = await trx
      .selectFrom('devices')
      .select(['id', 'head_seq', 'head_hash'])
      .execute();
    const facts = new Map<string, Fact>();
    for (const device of devices) {
      const rows = await trx
        .selectFrom('facts')
        .select(['id', 'seq', 'kind', 'hash', 'prev_hash', 'hlc', 'document', 'device_id'])
        .where('device_id', '=', device.id)
        .orderBy('seq')
        .execute();
      let expectedSeq = 1;
      let prevHash: string = GENESIS_HASH;
      for (const row of rows) {
        const where = `facts ${row.id} (device ${device.id}, seq ${row.seq})`;
        if (row.seq !== expectedSeq)
          report(where, `expected seq ${expectedSeq}: facts are missing`);
        let fact: Fact | undefined;
        try {
          fact = factSchema.parse(JSON.parse(row.document));
        } catch {
          report(where, 'its document is not a valid fact');
        }
        if (fact) {
          facts.set(fact.id, fact);
          if (factHash(withoutHash(fact)) !== fact.hash)
            report(where, 'its document does not hash to its own hash: it was altered');
          if (
            fact.hash !== row.hash ||
            fact.id !== row.id ||
            fact.seq !== row.seq ||
            fact.kind !== row.kind ||
            fact.prevHash !== row.prev_hash ||
            fact.hlc !== row.hlc ||
            fact.deviceId !== row.device_id
          )
            report(where, 'its columns differ from its document');
          if (fact.prevHash !== prevHash)
            report(where, 'it does not link to the previous fact: the chain is broken here');
        }
        prevHash = row.hash;
        expectedSeq = row.seq + 1;
      }
      if (rows.length !== device.head_seq || (rows.length > 0 && prevHash !== device.head_hash))
        report(
          `devices ${device.id}`,
          `its head is seq ${device.head_seq}, but the hub holds ${rows.length} facts ending elsewhere`,
        );
    }

    // Ledger.
    const since = Number(
      (
        await trx
          .selectFrom('hub_meta')
          .select('value')
          .where('key', '=', 'ledger-since-change')
          .executeTakeFirst()
      )?.value ?? 0,
    );
    const sums = new Map(
      (
        await trx
          .selectFrom('ledger')
          .select((eb) => ['account_id', eb.fn.sum<number>('delta_minor').as('total')])
          .groupBy('account_id')
          .execute()
      ).map((row) => [row.account_id, Number(row.total)]),
    );
    const accounts = await trx.selectFrom('accounts').select(['id', 'balance_minor']).execute();
    for (const account of accounts) {
      const sum = sums.get(account.id) ?? 0;
      if (Number(account.balance_minor) !== sum)
        report(
          `accounts ${account.id}`,
          `its balance is ${account.balance_minor} but its ledger entries sum to ${sum}`,
        );
    }
    const entries = new Map(
      (
        await trx.selectFrom('ledger').select(['source', 'account_id', 'delta_minor']).execute()
      ).map((row) => [`${row.source}|${row.account_id}`, Number(row.delta_minor)]),
    );
    const expectEntry = (source: string, accountId: string, delta: number, what: string) => {
      const found = entries.get(`${source}|${accountId}`) ?? 0;
      if (found !== delta)
        report(
          `ledger ${source} (account ${accountId})`,
          `${what} moved the balance by ${delta}, but the ledger says ${found}`,
        );
      entries.delete(`${source}|${accountId}`);
    };
    const factChange = new Map(
      (await trx.selectFrom('facts').select(['id', 'change_seq']).execute()).map((row) => [
        row.id,
        Number(row.change_seq),
      ]),
    );
    const known = new Set(accounts.map((a) => a.id));
    const payments = await trx.selectFrom('payments').selectAll().execute();
    for (const payment of payments) {
      const fact = facts.get(payment.fact_id);
      const where = `payments ${payment.fact_id}`;
      if (fact?.kind !== 'payment') {
        report(where, 'no payment fact of this id');
        continue;
      }
      if (
        fact.body.amountMinor !== Number(payment.amount_minor) ||
        fact.body.accountId !== payment.account_id ||
        fact.body.currency !== payment.currency ||
        fact.hlc !== payment.hlc
      )
        report(
          where,
          'its amount, account, currency or clock stamp differ from the fact the device signed',
        );
      const applied =
        known.has(payment.account_id) &&
        (payment.status === 'accepted' ||
          payment.flag_reason === 'device-revoked' ||
          flagsThatStillApply.has(payment.flag_reason as FlagReason));
      if ((factChange.get(payment.fact_id) ?? 0) > since)
        expectEntry(
          payment.fact_id,
          payment.account_id,
          applied ? -fact.body.amountMinor : 0,
          'the payment',
        );
    }
    const paymentsById = new Map(payments.map((payment) => [payment.fact_id, payment]));
    const voids = await trx.selectFrom('voids').selectAll().execute();
    for (const entry of voids) {
      const payment = paymentsById.get(entry.payment_id);
      if (entry.status === 'applied' && payment?.voided_by !== entry.fact_id)
        report(`voids ${entry.fact_id}`, 'applied, but its payment does not name it as its void');
      if (payment && (factChange.get(entry.fact_id) ?? 0) > since)
        expectEntry(entry.fact_id, payment.account_id, Number(entry.reversed_minor), 'the void');
    }
    const bills = await trx.selectFrom('spot_bills').selectAll().execute();
    for (const bill of bills) {
      if ((factChange.get(bill.fact_id) ?? 0) > since)
        expectEntry(
          bill.fact_id,
          bill.account_id,
          bill.status === 'applied' ? Number(bill.total_minor) : 0,
          'the bill printed at the door',
        );
    }
    for (const [key, delta] of entries) {
      const [source, accountId] = key.split('|');
      if (source !== 'opening' && delta !== 0)
        report(
          `ledger ${source} (account ${accountId})`,
          `an entry of ${delta} that no fact accounts for`,
        );
    }

    // Audit chain.
    const audit = await trx
      .selectFrom('audit')
      .select(['id', 'at', 'actor', 'action', 'detail', 'prev_hash', 'hash'])
      .orderBy('id')
      .execute();
    let prev: string = GENESIS_HASH;
    for (const row of audit) {
      if (row.prev_hash !== prev || row.hash !== auditHash(prev, row))
        report(
          `audit ${row.id}`,
          'the audit chain is broken here: this entry or the one before was altered or removed',
        );
      prev = row.hash ?? '';
    }
    return problems;
  });
}
