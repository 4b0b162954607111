/**
 * The app's root: who is signed in, which screen is showing, sync in the background, the
 * language, and a pending app update. Agents get search, account and receipt screens;
 * supervisors the collections list.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { currentSession, signOut } from '../auth/session.ts';
import type { GridtallyDatabase, SessionRecord } from '../db/database.ts';
import type { SyncReport } from '../sync/engine.ts';
import { unexportedCount } from '../sync/export.ts';
import type { SyncScheduler } from '../sync/scheduler.ts';
import { AccountScreen } from './AccountScreen.tsx';
import { CollectionsScreen } from './CollectionsScreen.tsx';
import { DevicesScreen } from './DevicesScreen.tsx';
import { FlagsScreen } from './FlagsScreen.tsx';
import { AppContext, type AppContextValue, type Screen } from './context.ts';
import { useLiveQuery } from './live.ts';
import { errorText, translate, type Language } from './messages.ts';
import { ReceiptScreen } from './ReceiptScreen.tsx';
import { SearchScreen } from './SearchScreen.tsx';
import { SignInScreen } from './SignInScreen.tsx';
import { SyncBadge } from './SyncBadge.tsx';

export interface AppProps {
  readonly db: GridtallyDatabase;
  readonly makeScheduler: (onReport: (report: SyncReport) => void) => SyncScheduler;
  readonly updateReady: (() => void) | undefined;
}

const SUPERVISOR_SCREENS = [
  { name: 'collections' },
  { name: 'flags' },
  { name: 'devices' },
] as const satisfies readonly Screen[];

function initialLanguage(): Language {
  const saved = localStorage.getItem('gridtally.language');
  if (saved === 'en' || saved === 'zh') return saved;
  return navigator.language.startsWith('zh') ? 'zh' : 'en';
}

export function App({ db, makeScheduler, updateReady }: AppProps) {
  const [loaded, setLoaded] = useState(false);
  const [session, setSession] = useState<SessionRecord | undefined>();
  const [screen, setScreen] = useState<Screen>({ name: 'search' });
  const [language, setLanguageState] = useState<Language>(initialLanguage);
  const [syncReport, setSyncReport] = useState<SyncReport | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const scheduler = useRef<SyncScheduler | undefined>(undefined);
  // An update may reload the page once every payment has synced or been exported to a file.
  const pending = useLiveQuery(() => unexportedCount(db), []) ?? 0;
  const device = useLiveQuery(() => db.settings.get('device'), []);
  const revoked = device?.key === 'device' && device.revokedAt !== undefined;

  useEffect(() => {
    // Screen readers, fonts and hyphenation follow the language the words are in.
    document.documentElement.lang = language === 'zh' ? 'zh-CN' : 'en';
  }, [language]);

  async function loadSession() {
    const found = await currentSession(db);
    setSession(found);
    setScreen(found?.user.role === 'supervisor' ? { name: 'collections' } : { name: 'search' });
    setLoaded(true);
  }

  useEffect(() => {
    void loadSession();
  }, []);

  useEffect(() => {
    if (session?.user.role !== 'agent') return;
    const started = makeScheduler(setSyncReport);
    scheduler.current = started;
    void started.syncNow();
    return () => {
      started.stop();
      scheduler.current = undefined;
    };
  }, [session?.token]);

  const value: AppContextValue = useMemo(
    () => ({
      db,
      baseUrl: location.origin,
      language,
      session,
      syncReport,
      go: setScreen,
      requestSync: () => void scheduler.current?.syncNow(),
      setLanguage: (next) => {
        localStorage.setItem('gridtally.language', next);
        setLanguageState(next);
      },
      signedIn: () => void loadSession(),
      signedOut: () => void loadSession(),
    }),
    [db, language, session, syncReport],
  );

  async function doSignOut() {
    const result = await signOut(db);
    if (!result.ok) return setNotice(errorText(language, result.error));
    setNotice(undefined);
    await loadSession();
  }

  if (!loaded) return null;
  const t = (key: Parameters<typeof translate>[1]) => translate(language, key);
  return (
    <AppContext.Provider value={value}>
      {session && (
        <header class="top">
          <span class="brand">{t('appName')}</span>
          <span class="who" data-testid="who">
            {session.user.displayName}
            {session.user.routeName && ` · ${t('route')} ${session.user.routeName}`}
            {session.signedInOffline && ` · ${t('offlineSession')}`}
          </span>
          {session.user.role === 'agent' && <SyncBadge />}
          {session.user.role === 'supervisor' && (
            <nav class="tabs-top">
              {SUPERVISOR_SCREENS.map((tab) => (
                <button
                  type="button"
                  key={tab.name}
                  class={screen.name === tab.name ? 'active' : ''}
                  onClick={() => setScreen(tab)}
                >
                  {t(tab.name)}
                </button>
              ))}
            </nav>
          )}
          <button
            type="button"
            class="link"
            onClick={() => value.setLanguage(language === 'en' ? 'zh' : 'en')}
          >
            {t('language')}
          </button>
          <button type="button" class="link" onClick={() => void doSignOut()}>
            {t('signOut')}
          </button>
        </header>
      )}
      {updateReady && (
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
      )}
      {notice && (
        <p class="error notice" role="alert">
          {notice}
        </p>
      )}
      {session?.user.role === 'agent' && revoked && (
        <p class="error notice" role="alert" data-testid="revoked-banner">
          {t('revokedBanner')}
        </p>
      )}
      {!session && <SignInScreen />}
      {session && screen.name === 'search' && <SearchScreen />}
      {session && screen.name === 'account' && <AccountScreen accountId={screen.accountId} />}
      {session && screen.name === 'receipt' && <ReceiptScreen seq={screen.seq} />}
      {session && screen.name === 'collections' && <CollectionsScreen />}
      {session && screen.name === 'devices' && <DevicesScreen />}
      {session && screen.name === 'flags' && <FlagsScreen />}
    </AppContext.Provider>
  );
}
