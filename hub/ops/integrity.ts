/**
 * The integrity check, run at start and on demand (`npm run hub -- check`). It reads the store
 * and names every row that does not agree with the others:
 *
 * - each device's facts form its hash chain: seq 1…head without a gap, each document hashing to
 *   its hash and linking to the previous one, the chain ending at the device's recorded head;
 *   each fact row's columns say what its document says;
 * - each account's balance is the sum of its ledger entries, and each fact's ledger entry is
 *   what its projection says it did (a payment applied: minus its amount; a void applied: plus
 *   what it reversed; a bill issued: plus its total; a top-up's energy sold: plus its cost),
 *   with each payment row matching its fact;
 * - the audit log's hash chain is unbroken;
 * - on SQLite, the engine's own `integrity_check`.
 *
 * A problem names the table, the row and what is wrong, in words an operator can act on.
 */
import { sql, type Transaction } from 'kysely';
import { reversalOf } from '../../shared/conflicts.ts';
import {
  factEnvelopeSchema,
  factHash,
  readFact,
  withoutHash,
  type Fact,
} from '../../shared/facts.ts';
import { GENESIS_HASH } from '../../shared/hash.ts';
import { paymentCounts } from '../../shared/rules/payment.ts';
import { energySource } from '../ingest/apply.ts';
import { auditHash } from '../store/audit.ts';
import type { Database } from '../store/schema.ts';
import type { Store } from '../store/store.ts';

export interface Problem {
  /** Where: a table and the row's key. */
  readonly where: string;
  readonly what: string;
}

type Trx = Transaction<Database>;
type Report = (where: string, what: string) => void;

export async function checkIntegrity(store: Store): Promise<Problem[]> {
  return store.readTransaction(async (trx) => {
    const problems: Problem[] = [];
    const report: Report = (where, what) => problems.push({ where, what });
    if (store.engine === 'sqlite') {
      const result = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(trx);
      for (const row of result.rows)
        if (row.integrity_check !== 'ok') report('sqlite', row.integrity_check);
    }
    const facts = await checkChains(trx, report);
    await checkLedger(trx, facts, report);
    await checkAuditChain(trx, report);
    return problems;
  });
}

/**
 * Each device's facts form its hash chain, each document hashes to its hash and says what its
 * columns say. Returns the facts whose bodies the hub can read, by id.
 */
async function checkChains(trx: Trx, report: Report): Promise<Map<string, Fact>> {
  const facts = new Map<string, Fact>();
  const devices = await trx.selectFrom('devices').select(['id', 'head_seq', 'head_hash']).execute();
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
      if (row.seq !== expectedSeq) report(where, `expected seq ${expectedSeq}: facts are missing`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(row.document);
      } catch {
        parsed = undefined;
      }
      const envelope = factEnvelopeSchema.safeParse(parsed);
      if (!envelope.success) report(where, 'its document is not a valid fact');
      else {
        const fact = envelope.data;
        const read = readFact(fact);
        if (read.ok) facts.set(fact.id, read.value);
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
  return facts;
}

/**
 * Each account's balance is the sum of its ledger entries, and each fact's entry is what the
 * one rule for its kind says it did (shared/rules/): a payment that counts, minus its amount;
 * a void, plus what it reversed (reversalOf its payment); a bill issued, plus its total.
 */
async function checkLedger(trx: Trx, facts: ReadonlyMap<string, Fact>, report: Report) {
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
        .select((eb) => [
          'account_id',
          sql<string>`cast(sum(${eb.ref('delta_minor')}) as text)`.as('total'),
        ])
        .groupBy('account_id')
        .execute()
    ).map((row) => [row.account_id, BigInt(row.total)]),
  );
  for (const account of await trx
    .selectFrom('accounts')
    .select(['id', 'balance_minor'])
    .execute()) {
    const sum = sums.get(account.id) ?? 0n;
    if (BigInt(account.balance_minor) !== sum)
      report(
        `accounts ${account.id}`,
        `its balance is ${account.balance_minor} but its ledger entries sum to ${sum}`,
      );
  }
  const entries = new Map(
    (await trx.selectFrom('ledger').select(['source', 'account_id', 'delta_minor']).execute()).map(
      (row) => [`${row.source}|${row.account_id}`, row.delta_minor],
    ),
  );
  const factChange = new Map(
    (await trx.selectFrom('facts').select(['id', 'change_seq', 'flag_reason']).execute()).map(
      (row) => [row.id, row],
    ),
  );
  const expect = (
    source: string,
    accountId: string,
    delta: number,
    what: string,
    factId: string = source,
  ) => {
    if ((factChange.get(factId)?.change_seq ?? 0) <= since) return;
    const found = entries.get(`${source}|${accountId}`) ?? 0;
    if (found !== delta)
      report(
        `ledger ${source} (account ${accountId})`,
        `${what} moved the balance by ${delta}, but the ledger says ${found}`,
      );
    entries.delete(`${source}|${accountId}`);
  };
  await checkPaymentEffects(trx, facts, factChange, expect, report);
  for (const bill of await trx.selectFrom('spot_bills').selectAll().execute())
    expect(
      bill.fact_id,
      bill.account_id,
      bill.status === 'applied' ? bill.total_minor : 0,
      'the bill printed at the door',
    );
  for (const sale of await trx.selectFrom('top_ups').selectAll().execute())
    expect(
      energySource(sale.fact_id),
      sale.account_id,
      sale.status === 'sold' ? Number(sale.cost_minor) : 0,
      'the energy a top-up sold',
      sale.fact_id,
    );
  for (const [key, delta] of entries) {
    const [source, accountId] = key.split('|');
    if (source !== 'opening' && delta !== 0)
      report(
        `ledger ${source} (account ${accountId})`,
        `an entry of ${delta} that no fact accounts for`,
      );
  }
}

type Expect = (source: string, accountId: string, delta: number, what: string) => void;

async function checkPaymentEffects(
  trx: Trx,
  facts: ReadonlyMap<string, Fact>,
  factRows: ReadonlyMap<string, { flag_reason: string | null }>,
  expect: Expect,
  report: Report,
): Promise<void> {
  const payments = await trx.selectFrom('payments').selectAll().execute();
  for (const payment of payments) {
    const fact = facts.get(payment.fact_id);
    const where = `payments ${payment.fact_id}`;
    if (fact?.kind !== 'payment') {
      report(where, 'no payment fact of this id');
      continue;
    }
    if (
      fact.body.amountMinor !== payment.amount_minor ||
      fact.body.accountId !== payment.account_id ||
      fact.body.currency !== payment.currency ||
      fact.hlc !== payment.hlc
    )
      report(
        where,
        'its amount, account, currency or clock stamp differ from the fact the device signed',
      );
    if ((factRows.get(payment.fact_id)?.flag_reason ?? null) !== payment.flag_reason)
      report(where, 'its flag differs from the answer its fact was given');
    const counts = paymentCounts(payment.flag_reason);
    // The signed fact is the truth: the ledger must agree with it, whatever the row says.
    expect(payment.fact_id, payment.account_id, counts ? -fact.body.amountMinor : 0, 'the payment');
  }
  const byId = new Map(payments.map((payment) => [payment.fact_id, payment]));
  for (const entry of await trx.selectFrom('voids').selectAll().execute()) {
    const payment = entry.payment_id === null ? undefined : byId.get(entry.payment_id);
    const where = `voids ${entry.fact_id}`;
    if (entry.status === 'applied' && payment?.voided_by !== entry.fact_id)
      report(where, 'applied, but its payment does not name it as its void');
    if (!payment) continue;
    const reversed =
      entry.status === 'applied'
        ? reversalOf({
            applied: paymentCounts(payment.flag_reason),
            amountMinor: payment.amount_minor,
          })
        : 0;
    if (entry.reversed_minor !== reversed)
      report(
        where,
        `it says it reversed ${entry.reversed_minor}, but its payment counted ${reversed}`,
      );
    expect(entry.fact_id, payment.account_id, reversed, 'the void');
  }
}

/** The audit log's hash chain is unbroken. */
async function checkAuditChain(trx: Trx, report: Report): Promise<void> {
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
}
