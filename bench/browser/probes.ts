/**
 * Stopwatches that run inside the page, so that a measured time is the app's own work and
 * not Playwright's round trips: each starts at the DOM event that begins the work (the click
 * on the confirm button, the input event of the search box, navigation start) and stops in
 * a MutationObserver at the first DOM change that shows its result.
 *
 * `installProbes` is sent to the page as source text, so it must stand alone: no imports, and
 * no named inner functions or arrow properties (tsx would wrap those in a helper the page lacks).
 */

export interface Probes {
  /** Navigation start to the PIN screen (a cold start finds the tablet's data locked)… */
  pinScreenAt?: number;
  /** …to the click on "Sign in" with the PIN typed… */
  signInAt?: number;
  /** …to the first moment the search box exists… */
  searchBoxAt?: number;
  /** …and to the first moment it and a customer of the route exist. */
  usableAt?: number;
  /** The search results expected for the query being typed (see `signature`). */
  expected?: string;
  inputAt?: number;
  matchedAt?: number;
  clickAt?: number;
  receiptAt?: number;
  /** Main-thread tasks over 50 ms (the Long Tasks API), as durations: the screen froze. */
  longTasks: number[];
  /** What the search screen shows: the rows and the "no matches" line, as one string. */
  signature(): string;
  /** Starts a stopwatch at the next input event; it stops when the results read `expected`. */
  armSearch(expected: string): void;
  /** Starts a stopwatch at the next click; it stops when a receipt is on the screen. */
  armPayment(): void;
}

export const PROBES_KEY = '__gridtallyBench';

export function installProbes(): void {
  if (window.top !== window) return;
  const probes: Probes = {
    longTasks: [],
    signature() {
      const screen = document.querySelector('main.search');
      if (!screen) return '';
      // Still finding the answer to what was typed: not a result to settle on.
      if (screen.getAttribute('aria-busy') === 'true') return 'busy';
      const rows = [...screen.querySelectorAll('[data-testid=search-result]')];
      const note = screen.querySelector(':scope > p.muted')?.textContent ?? '';
      return `${rows.length}|${note}|${rows.map((row) => row.textContent).join('\n')}`;
    },
    armSearch(expected) {
      probes.expected = expected;
      probes.inputAt = undefined;
      probes.matchedAt = undefined;
      document.addEventListener(
        'input',
        () => {
          probes.inputAt = performance.now();
        },
        { capture: true, once: true },
      );
    },
    armPayment() {
      probes.clickAt = undefined;
      probes.receiptAt = undefined;
      document.addEventListener(
        'click',
        () => {
          probes.clickAt = performance.now();
        },
        { capture: true, once: true },
      );
    },
  };
  Object.defineProperty(window, '__gridtallyBench', { value: probes });
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) probes.longTasks.push(entry.duration);
  }).observe({ type: 'longtask', buffered: true });
  new MutationObserver(() => {
    const now = performance.now();
    if (probes.pinScreenAt === undefined && document.querySelector('input[name=secret]'))
      probes.pinScreenAt = now;
    if (probes.searchBoxAt === undefined && document.querySelector('input[name=search]'))
      probes.searchBoxAt = now;
    if (
      probes.usableAt === undefined &&
      document.querySelector('input[name=search]') &&
      document.querySelector('[data-testid=search-result]')
    )
      probes.usableAt = now;
    if (
      probes.inputAt !== undefined &&
      probes.matchedAt === undefined &&
      probes.signature() === probes.expected
    )
      probes.matchedAt = now;
    if (
      probes.clickAt !== undefined &&
      probes.receiptAt === undefined &&
      document.querySelector('[data-testid=receipt]')
    )
      probes.receiptAt = now;
  }).observe(document, { childList: true, subtree: true, characterData: true });
}

/** The page's probes, for use inside `page.evaluate` and `page.waitForFunction`. */
export type ProbeWindow = Window & { [PROBES_KEY]: Probes };
