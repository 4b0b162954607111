/**
 * The app's root: who is signed in, which screen is showing, sync in the background, the
 * language, and a pending app update. Agents get search, account and receipt screens;
 * supervisors the collections list.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { assertNever } from '../../shared/assert.ts';
import { currentSession, signOut } from '../auth/session.ts';
import type { GridtallyDatabase, SessionRecord } from '../db/database.ts';
import type { SyncReport } from '../sync/engine.ts';
import { unexportedCount } from '../sync/export.ts';
import type { SyncScheduler } from '../sync/scheduler.ts';
import { TopBar, UpdateBanner } from './AppFrame.tsx';
import { AppContext, type AppContextValue, type Screen } from './context.ts';
import { useLiveQuery } from './live.ts';
import { errorText, isLanguage, loadLanguage, translate, type Language } from './messages.ts';
import { localeOf } from './format.ts';
import { SearchScreen } from './SearchScreen.tsx';
import { SignInScreen } from './SignInScreen.tsx';
import { lazily } from './lazy.tsx';

// Every screen but search and sign-in loads when first opened (the service worker holds each
// for offline use): the app starts on less JavaScript.
const AccountScreen = lazily(async () => (await import('./AccountScreen.tsx')).AccountScreen);
const CashScreen = lazily(async () => (await import('./CashScreen.tsx')).CashScreen);
const ReceiptScreen = lazily(async () => (await import('./ReceiptScreen.tsx')).ReceiptScreen);
const CollectionsScreen = lazily(
  async () => (await import('./CollectionsScreen.tsx')).CollectionsScreen,
);
const DevicesScreen = lazily(async () => (await import('./DevicesScreen.tsx')).DevicesScreen);
const SecurityScreen = lazily(async () => (await import('./SecurityScreen.tsx')).SecurityScreen);
const FlagsScreen = lazily(async () => (await import('./FlagsScreen.tsx')).FlagsScreen);
const ReceiptCopyScreen = lazily(
  async () => (await import('./CustomerPanels.tsx')).ReceiptCopyScreen,
);

export interface AppProps {
  readonly db: GridtallyDatabase;
  readonly makeScheduler: (onReport: (report: SyncReport) => void) => SyncScheduler;
  readonly updateReady: (() => void) | undefined;
}

/** The language chosen on this device, or else the browser's if we speak it. */
export function initialLanguage(): Language {
  const saved = localStorage.getItem('gridtally.language');
  if (isLanguage(saved)) return saved;
  const browser = navigator.language.slice(0, 2);
  return isLanguage(browser) ? browser : 'en';
}

export function App({ db, makeScheduler, updateReady }: AppProps) {
  // An update may reload the page once every payment has synced or been exported to a file.
  const pending = useLiveQuery(() => unexportedCount(db), []) ?? 0;
  const device = useLiveQuery(() => db.settings.get('device'), []);
  const revoked = device?.key === 'device' && device.revokedAt !== undefined;
  const [language, setLanguageState] = useLanguage();
  const { loaded, session, screen, setScreen, loadSession } = useSession(db);
  const { syncReport, scheduler } = useAgentSync(session, makeScheduler);
  const [notice, setNotice] = useState<string | undefined>();
  useKeys(session, screen, setScreen);

  const value: AppContextValue = useMemo(
    () => ({
      db,
      baseUrl: location.origin,
      language,
      session,
      syncReport,
      go: setScreen,
      requestSync: async () => {
        await scheduler.current?.syncNow();
      },
      setLanguage: (next) => {
        localStorage.setItem('gridtally.language', next);
        // Shown once its words are here (at once from the service worker's cache).
        void loadLanguage(next).then(
          () => setLanguageState(next),
          (error: unknown) => console.error('[language]', error),
        );
      },
      signedIn: () => void loadSession(),
      signedOut: () => void loadSession(),
    }),
    [db, language, session, syncReport],
  );

  async function doSignOut() {
    const result = await signOut(db, { baseUrl: location.origin });
    if (!result.ok) return setNotice(errorText(language, result.error));
    setNotice(undefined);
    await loadSession();
  }

  if (!loaded) return null;
  const t = (key: Parameters<typeof translate>[1]) => translate(language, key);
  return (
    <AppContext.Provider value={value}>
      {session && <TopBar session={session} screen={screen} onSignOut={() => void doSignOut()} />}
      {updateReady && <UpdateBanner pending={pending} updateReady={updateReady} />}
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
      {/* Where the keyboard's focus starts on each new screen (useKeys). */}
      <div class="screen-host" tabIndex={-1}>
        <CurrentScreen session={session} screen={screen} />
      </div>
    </AppContext.Provider>
  );
}

/** The language chosen on this device, or else the browser's. */
function useLanguage() {
  const [language, setLanguageState] = useState<Language>(initialLanguage);
  useEffect(() => {
    // Screen readers, fonts and hyphenation follow the language the words are in.
    document.documentElement.lang = localeOf(language);
  }, [language]);
  return [language, setLanguageState] as const;
}

/**
 * Who is signed in, read from the device when the app opens and again after each sign-in and
 * sign-out, and the screen showing: each role starts on its own first screen.
 */
function useSession(db: GridtallyDatabase) {
  const [loaded, setLoaded] = useState(false);
  const [session, setSession] = useState<SessionRecord | undefined>();
  const [screen, setScreen] = useState<Screen>({ name: 'search' });

  async function loadSession() {
    const found = await currentSession(db);
    setSession(found);
    setScreen(found && found.user.role !== 'agent' ? { name: 'collections' } : { name: 'search' });
    setLoaded(true);
  }

  const shown = useRef<SessionRecord | undefined>(undefined);
  shown.current = session;
  useEffect(() => {
    void loadSession();
    // Another tab signed in or out: this one follows (client/auth/tabs.ts).
    return db.vault.onChange((unlocked) => {
      if (!unlocked || !shown.current) void loadSession();
    });
  }, []);

  return { loaded, session, screen, setScreen, loadSession };
}

/**
 * Background sync while an agent is signed in: a scheduler for each session, started with a
 * sync at once and stopped when the session ends. Supervisors' devices do not sync.
 */
function useAgentSync(
  session: SessionRecord | undefined,
  makeScheduler: AppProps['makeScheduler'],
) {
  const [syncReport, setSyncReport] = useState<SyncReport | undefined>();
  const scheduler = useRef<SyncScheduler | undefined>(undefined);
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
  return { syncReport, scheduler };
}

/** The screen showing: sign-in until someone is signed in. */
/** A field that takes typing: keys pressed in it are the person's text, not commands. */
function isField(target: EventTarget | null): target is HTMLElement {
  return (
    target instanceof HTMLElement &&
    (target.matches('input, select, textarea') || target.isContentEditable)
  );
}

/**
 * The keyboard of a POS terminal with physical keys: Tab and Enter work everywhere (native
 * buttons and forms); Escape leaves a field, and pressed again goes back to the customer search;
 * "/" on the search screen puts the cursor in the search box. On each new screen the focus
 * starts at the screen itself, not at the top bar, so Tab goes through the screen first.
 */
function useKeys(session: SessionRecord | undefined, screen: Screen, go: (next: Screen) => void) {
  const role = session?.user.role;
  useEffect(() => {
    if (role !== 'agent') return;
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
      const target = event.target;
      if (event.key === 'Escape') {
        if (isField(target)) {
          target.blur();
          return;
        }
        if (screen.name !== 'search') {
          event.preventDefault();
          go({ name: 'search' });
        }
      } else if (event.key === '/' && !isField(target) && screen.name === 'search') {
        event.preventDefault();
        document.querySelector<HTMLInputElement>('input[name=search]')?.focus();
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [role, screen]);
  useEffect(() => {
    if (screen.name === 'search') return;
    document.querySelector<HTMLElement>('.screen-host')?.focus({ preventScroll: true });
  }, [screen]);
}

function CurrentScreen({
  session,
  screen,
}: {
  session: SessionRecord | undefined;
  screen: Screen;
}) {
  if (!session) return <SignInScreen />;
  switch (screen.name) {
    case 'search':
      return <SearchScreen />;
    case 'account':
      // The receipt follows a payment: its part is here before the payment is recorded.
      ReceiptScreen.preload();
      return <AccountScreen accountId={screen.accountId} />;
    case 'receipt':
      return <ReceiptScreen seq={screen.seq} recorded={screen.recorded} />;
    case 'cash':
      return <CashScreen />;
    case 'copy':
      return <ReceiptCopyScreen accountId={screen.accountId} factId={screen.factId} />;
    case 'collections':
      return <CollectionsScreen />;
    case 'devices':
      return <DevicesScreen />;
    case 'security':
      return <SecurityScreen />;
    case 'flags':
      return <FlagsScreen />;
    default:
      return assertNever(screen);
  }
}
