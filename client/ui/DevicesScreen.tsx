/**
 * The supervisor's devices: issue a one-time enrolment code (as text and as a QR code for a
 * tablet with a scanner), see every enrolled device, and revoke one that is lost or stolen.
 */
import QRCode from 'qrcode';
import { useEffect, useState } from 'preact/hooks';
import {
  deviceSummarySchema,
  devicesResponseSchema,
  enrolmentCodeResponseSchema,
  type DeviceSummary,
} from '../../shared/devices.ts';
import { uploadResponseSchema } from '../../shared/protocol.ts';
import { callHub } from '../api.ts';
import { useApp, useText } from './context.ts';
import { dateTime } from './format.ts';

const DAY_MS = 86_400_000;

interface IssuedCode {
  readonly code: string;
  readonly expiresAt: string;
  readonly qrSvg: string;
}

export function DevicesScreen() {
  const app = useApp();
  const { t, errorOf } = useText();
  const [devices, setDevices] = useState<DeviceSummary[] | undefined>();
  const [issued, setIssued] = useState<IssuedCode | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [uploaded, setUploaded] = useState<string | undefined>();
  const token = app.session?.token ?? '';

  async function load() {
    const answer = await callHub(
      app.baseUrl,
      { method: 'GET', path: '/api/devices', token },
      devicesResponseSchema,
    );
    if (answer.ok) setDevices(answer.value.devices);
    else setError(errorOf(answer.error.code));
  }

  async function issue() {
    const answer = await callHub(
      app.baseUrl,
      { method: 'POST', path: '/api/devices/enrolment-codes', token },
      enrolmentCodeResponseSchema,
    );
    if (!answer.ok) return setError(errorOf(answer.error.code));
    const qrSvg = await QRCode.toString(answer.value.code, {
      type: 'svg',
      margin: 1,
      errorCorrectionLevel: 'M',
    });
    setIssued({ ...answer.value, qrSvg });
  }

  async function revoke(device: DeviceSummary) {
    if (!confirm(t('confirmRevoke'))) return;
    const answer = await callHub(
      app.baseUrl,
      { method: 'POST', path: `/api/devices/${device.id}/revoke`, token },
      deviceSummarySchema,
    );
    if (!answer.ok) return setError(errorOf(answer.error.code));
    await load();
  }

  async function upload(file: File | undefined) {
    if (!file) return;
    let body: unknown;
    try {
      body = JSON.parse(await file.text());
    } catch {
      return setError(errorOf('invalid-request'));
    }
    const answer = await callHub(
      app.baseUrl,
      { method: 'POST', path: '/api/sync/upload', token, body, gzip: true },
      uploadResponseSchema,
    );
    if (!answer.ok) return setError(errorOf(answer.error.code));
    const stored = answer.value.pushes.reduce(
      (total, push) => total + (push.ok ? push.response.results.length : 0),
      0,
    );
    const refused = answer.value.pushes
      .filter((push) => !push.ok)
      .map((push) => (push.ok ? '' : errorOf(push.error)));
    setError(undefined);
    setUploaded(
      `${t('uploaded')}: ${stored}${refused.length > 0 ? ` · ${refused.join(' ')}` : ''}`,
    );
    await load();
  }

  useEffect(() => {
    void load();
  }, []);

  /** A device clock more than a day off is shown in days; smaller drift is normal. */
  function clockText(skewMs: number | null): string {
    if (skewMs === null) return '—';
    if (Math.abs(skewMs) <= DAY_MS) return t('clockOk');
    const days = Math.round(Math.abs(skewMs) / DAY_MS);
    return `${skewMs > 0 ? '+' : '−'}${days} ${t('days')}`;
  }

  return (
    <main class="screen devices wide">
      <div class="toolbar">
        <h2>{t('devices')}</h2>
        <button type="button" class="primary" onClick={() => void issue()}>
          {t('issueCode')}
        </button>
      </div>
      <label class="upload">
        {t('uploadFile')}
        <input
          type="file"
          accept="application/json,.json"
          name="outbox-file"
          onChange={(e) => void upload(e.currentTarget.files?.[0])}
        />
      </label>
      {uploaded && (
        <p class="muted" data-testid="upload-result">
          {uploaded}
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {issued && (
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
      )}
      {devices && (
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
                <td>
                  {device.lastPushAt ? dateTime(device.lastPushAt, app.language) : t('never')}
                </td>
                <td class={Math.abs(device.clockSkewMs ?? 0) > DAY_MS ? 'warn' : ''}>
                  {clockText(device.clockSkewMs)}
                </td>
                <td>
                  {device.status === 'active' && (
                    <button type="button" onClick={() => void revoke(device)}>
                      {t('revoke')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
