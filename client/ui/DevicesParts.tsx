/**
 * What the devices screen shows: the enrolment code just issued, with its QR code, and the
 * table of enrolled devices with their state, last push and clock, each active one revocable.
 */
import type { DeviceSummary } from '../../shared/devices.ts';
import { useApp, useText } from './context.ts';
import { dateTime } from './format.ts';
import type { MessageKey } from './messages.ts';

const DAY_MS = 86_400_000;

export interface IssuedCode {
  readonly code: string;
  readonly expiresAt: string;
  readonly qrSvg: string;
}

/** The code just issued, shown this once: the hub keeps only its hash and cannot show it again. */
export function EnrolmentCodeCard({ issued }: { issued: IssuedCode }) {
  const app = useApp();
  const { t } = useText();
  return (
    <section class="card enrolment-code" data-testid="enrolment-code">
      <div class="qr" dangerouslySetInnerHTML={{ __html: issued.qrSvg }} />
      <div>
        <p class="code" data-testid="enrolment-code-text">
          {issued.code}
        </p>
        <p class="muted">
          {t('codeShownOnce')} {dateTime(issued.expiresAt, app.language)}
        </p>
      </div>
    </section>
  );
}

/** A device clock more than a day off is shown in days; smaller drift is normal. */
function clockText(skewMs: number | null, t: (key: MessageKey) => string): string {
  if (skewMs === null) return '—';
  if (Math.abs(skewMs) <= DAY_MS) return t('clockOk');
  const days = Math.round(Math.abs(skewMs) / DAY_MS);
  return `${skewMs > 0 ? '+' : '−'}${days} ${t('days')}`;
}

export function DeviceTable({
  devices,
  onRevoke,
}: {
  devices: readonly DeviceSummary[];
  onRevoke: (device: DeviceSummary) => void;
}) {
  const app = useApp();
  const { t } = useText();
  return (
    <table data-testid="devices">
      <thead>
        <tr>
          <th>{t('device')}</th>
          <th>{t('status')}</th>
          <th>{t('enrolledOn')}</th>
          <th>{t('lastPush')}</th>
          <th>{t('clock')}</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {devices.map((device) => (
          <tr key={device.id} data-testid="device-row">
            <td class="mono">{device.label ?? device.id.slice(-12)}</td>
            <td>{device.status === 'active' ? t('active') : t('revoked')}</td>
            <td>{dateTime(device.enrolledAt, app.language)}</td>
            <td>{device.lastPushAt ? dateTime(device.lastPushAt, app.language) : t('never')}</td>
            <td class={Math.abs(device.clockSkewMs ?? 0) > DAY_MS ? 'warn' : ''}>
              {clockText(device.clockSkewMs, t)}
            </td>
            <td>
              {device.status === 'active' && (
                <button type="button" onClick={() => onRevoke(device)}>
                  {t('revoke')}
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
