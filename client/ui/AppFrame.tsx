/**
 * What frames every screen once someone is signed in: the top bar (who is signed in, sync or
 * the supervisor's tabs, the language and sign-out) and the banner of a pending app update.
 */
import type { SessionRecord } from '../db/database.ts';
import { ContrastSwitch } from './ContrastSwitch.tsx';
import { LanguageSwitch } from './LanguageSwitch.tsx';
import { useApp, useText, type Screen } from './context.ts';
import { SyncBadge } from './SyncBadge.tsx';

const SUPERVISOR_SCREENS = [
  { name: 'collections' },
  { name: 'flags' },
  { name: 'devices' },
  { name: 'security' },
] as const satisfies readonly Screen[];

export function TopBar({
  session,
  screen,
  onSignOut,
}: {
  session: SessionRecord;
  screen: Screen;
  onSignOut: () => void;
}) {
  const app = useApp();
  const { t } = useText();
  return (
    <header class="top">
      <span class="brand">{t('appName')}</span>
      <span class="who" data-testid="who">
        {session.user.displayName}
        {session.user.routeName && ` · ${t('route')} ${session.user.routeName}`}
        {session.user.areaName && ` · ${t('area')} ${session.user.areaName}`}
        {session.user.role === 'admin' && ` · ${t('admin')}`}
      </span>
      {/* Apart from the name, so a long name never hides it. */}
      {session.signedInOffline && (
        <span class="offline-session" data-testid="offline-session">
          {t('offlineSession')}
        </span>
      )}
      {session.user.role === 'agent' && <SyncBadge />}
      {session.user.role === 'agent' && (
        <button
          type="button"
          class={screen.name === 'cash' ? 'link active' : 'link'}
          data-testid="open-cash"
          onClick={() => app.go({ name: 'cash' })}
        >
          {t('daysCash')}
        </button>
      )}
      {session.user.role !== 'agent' && (
        <nav class="tabs-top">
          {SUPERVISOR_SCREENS.map((tab) => (
            <button
              type="button"
              key={tab.name}
              class={screen.name === tab.name ? 'active' : ''}
              onClick={() => app.go(tab)}
            >
              {t(tab.name)}
            </button>
          ))}
        </nav>
      )}
      <LanguageSwitch />
      <ContrastSwitch />
      <button type="button" class="link" onClick={onSignOut}>
        {t('signOut')}
      </button>
    </header>
  );
}

/** A new version of the app is ready: it may reload once every payment is synced or exported. */
export function UpdateBanner({
  pending,
  updateReady,
}: {
  pending: number;
  updateReady: () => void;
}) {
  const { t } = useText();
  return (
    <div class="update-banner" role="status">
      {t('updateReady')}{' '}
      {pending === 0 ? (
        <button type="button" onClick={updateReady}>
          {t('updateNow')}
        </button>
      ) : (
        t('updateWaits')
      )}
    </div>
  );
}
