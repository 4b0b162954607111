/**
 * High contrast for sunlight: black on white, darker colours, heavier lines and text. Chosen on
 * the device with one tap (on the sign-in screen and in the top bar) and kept; until someone
 * chooses, it follows the system's "more contrast" setting.
 */
import { useState } from 'preact/hooks';
import { useText } from './context.ts';

const KEY = 'gridtally.contrast';

/** Whether the device was set to high contrast; undefined when nobody chose. */
function chosen(): boolean | undefined {
  const saved = localStorage.getItem(KEY);
  return saved === 'high' ? true : saved === 'normal' ? false : undefined;
}

function isHigh(): boolean {
  return chosen() ?? matchMedia('(prefers-contrast: more)').matches;
}

/** Sets the page's theme from what the device holds: run before the first screen is drawn. */
export function applyContrast(): void {
  document.documentElement.dataset['contrast'] = isHigh() ? 'high' : 'normal';
}

export function ContrastSwitch() {
  const { t } = useText();
  const [high, setHigh] = useState(isHigh);
  function toggle() {
    localStorage.setItem(KEY, high ? 'normal' : 'high');
    applyContrast();
    setHigh(!high);
  }
  return (
    <button
      type="button"
      class="contrast-switch"
      aria-pressed={high}
      aria-label={t('highContrast')}
      title={t('highContrast')}
      data-testid="contrast-switch"
      onClick={toggle}
    >
      <span aria-hidden="true">◐</span> <span class="label">{t('highContrast')}</span>
    </button>
  );
}
