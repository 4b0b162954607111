/**
 * The supervisor's devices: issue a one-time enrolment code (as text and as a QR code for a
 * tablet with a scanner), see every enrolled device, and revoke one that is lost or stolen;
 * give each agent her route or area (AgentsPanel.tsx).
 */
import { qrSvg } from './qr.ts';
import { useEffect, useState } from 'preact/hooks';
import {
  deviceSummarySchema,
  devicesResponseSchema,
  enrolmentCodeResponseSchema,
  type DeviceSummary,
} from '../../shared/devices.ts';
import { uploadResponseSchema, type UploadResponse } from '../../shared/protocol.ts';
import { callHub } from '../api.ts';
import { AgentsPanel } from './AgentsPanel.tsx';
import { useApp, useText } from './context.ts';
import { DeviceTable, EnrolmentCodeCard, type IssuedCode } from './DevicesParts.tsx';
import type { MessageKey } from './messages.ts';

export function DevicesScreen() {
  const { t } = useText();
  const { devices, issued, error, setError, load, issue, revoke } = useDevices();
  const { uploaded, upload } = useOutboxUpload(setError, load);
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
      {issued && <EnrolmentCodeCard issued={issued} />}
      {devices && <DeviceTable devices={devices} onRevoke={(device) => void revoke(device)} />}
      <AgentsPanel />
    </main>
  );
}

/**
 * The devices as the hub lists them (loaded once the screen opens), the code issued last, and
 * the actions that change them. A failure of any of them is shown as the screen's one error.
 */
function useDevices() {
  const app = useApp();
  const { t, errorOf } = useText();
  const [devices, setDevices] = useState<DeviceSummary[] | undefined>();
  const [issued, setIssued] = useState<IssuedCode | undefined>();
  const [error, setError] = useState<string | undefined>();
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
    const svg = await qrSvg(answer.value.code, {
      type: 'svg',
      margin: 1,
      errorCorrectionLevel: 'M',
    });
    setIssued({ ...answer.value, qrSvg: svg });
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

  useEffect(() => {
    void load();
  }, []);

  return { devices, issued, error, setError, load, issue, revoke };
}

/**
 * Uploads an outbox file exported from a tablet that cannot sync, then reloads the devices,
 * whose last push it may have moved. What the hub stored and refused is shown in one line.
 */
function useOutboxUpload(setError: (error: string | undefined) => void, load: () => Promise<void>) {
  const app = useApp();
  const { t, errorOf } = useText();
  const [uploaded, setUploaded] = useState<string | undefined>();
  const token = app.session?.token ?? '';

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
    setError(undefined);
    setUploaded(uploadSummary(answer.value, t, errorOf));
    await load();
  }

  return { uploaded, upload };
}

/** How many facts the hub stored from an upload, and why it refused any push it refused. */
function uploadSummary(
  answer: UploadResponse,
  t: (key: MessageKey) => string,
  errorOf: (code: string) => string,
): string {
  const stored = answer.pushes.reduce(
    (total, push) => total + (push.ok ? push.response.results.length : 0),
    0,
  );
  const refused = answer.pushes
    .filter((push) => !push.ok)
    .map((push) => (push.ok ? '' : errorOf(push.error)));
  return `${t('uploaded')}: ${stored}${refused.length > 0 ? ` · ${refused.join(' ')}` : ''}`;
}
