/**
 * Export of unsynced payments to a file, for a supervisor to upload when this device will see
 * no network for a long time. The file holds ordinary signed pushes.
 */
import { useState } from 'preact/hooks';
import { exportOutbox } from '../sync/export.ts';
import { useApp, useText } from './context.ts';
import { useLiveQuery } from './live.ts';

export function ExportButton() {
  const app = useApp();
  const { t, errorOf } = useText();
  const pending =
    useLiveQuery(() => app.db.facts.where('status').equals('pending').count(), []) ?? 0;
  const [note, setNote] = useState<string | undefined>();
  if (pending === 0) return null;

  async function download() {
    const result = await exportOutbox(app.db, new Date());
    if (!result.ok) return setNote(errorOf(result.error));
    const blob = new Blob([JSON.stringify(result.file)], { type: 'application/json' });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = `gridtally-outbox-${result.file.deviceId.slice(-12)}-${result.file.exportedAt.slice(0, 10)}.json`;
    link.click();
    URL.revokeObjectURL(link.href);
    setNote(t('exported'));
  }

  return (
    <div class="export">
      <button type="button" onClick={() => void download()} data-testid="export-outbox">
        {t('exportUnsynced')} ({pending})
      </button>
      {note && <p class="muted">{note}</p>}
    </div>
  );
}
