/**
 * The language switch, on the sign-in screen and in the top bar: each language named in itself,
 * switchable at any time; the choice is kept on the device.
 */
import { useApp } from './context.ts';
import { languageNames, languages, type Language } from './messages.ts';

export function LanguageSwitch() {
  const app = useApp();
  return (
    <select
      name="language"
      class="language"
      aria-label="Language · 语言 · Lugha"
      value={app.language}
      onChange={(event) => app.setLanguage(event.currentTarget.value as Language)}
    >
      {languages.map((language) => (
        <option key={language} value={language} lang={language}>
          {languageNames[language]}
        </option>
      ))}
    </select>
  );
}
