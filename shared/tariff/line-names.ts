/**
 * What a bill's lines are called, in each language a bill is read in. The engine names its own
 * lines (energy, tiers, bands, the lifeline allowance, rounding, the late fee) here; a tariff
 * names its charges and components itself, in one language (a plain label, shown in all) or in
 * several (`{ en, sw, zh }`). A line carries its name in English as `label` (what the API and
 * older tablets read) and in the others as `labels`, where they differ.
 */
/** The languages a bill line is named in besides English. */
export const LINE_LANGUAGES = ['sw', 'zh'] as const;
export type LineLanguage = (typeof LINE_LANGUAGES)[number];

/** A line's name: in English, and in the other languages where it has been given. */
export interface LineName {
  readonly en: string;
  readonly sw?: string;
  readonly zh?: string;
}

/** A tariff's own label (its schema is `tariffLabelSchema`, shared/tariff/schema.ts). */
export type TariffLabel = string | LineName;

/** The engine's names for its own lines. */
export const ENGINE_NAMES = {
  energy: { en: 'Energy', sw: 'Nishati', zh: '电量电费' },
  lifeline: {
    en: 'Lifeline allowance (free)',
    sw: 'Kiasi cha msingi (bure)',
    zh: '基本用电（免费）',
  },
  lineRounding: {
    en: 'Rounding: the lines are exact, the total is rounded once',
    sw: 'Kuzungusha: mistari ni kamili, jumla inazungushwa mara moja',
    zh: '取整：各行按精确值计，合计取整一次',
  },
  totalRounding: { en: 'Rounding of the total', sw: 'Kuzungusha jumla', zh: '合计取整' },
  lateFee: { en: 'Late-payment surcharge', sw: 'Ada ya kuchelewa kulipa', zh: '滞纳金' },
} as const satisfies Record<string, Required<LineName>>;

/** A tariff's label as a name; `fallback` where it gave none. A plain label reads the same in all. */
export function nameOf(label: TariffLabel | undefined, fallback: LineName): LineName {
  if (label === undefined) return fallback;
  return typeof label === 'string' ? { en: label } : label;
}

/** "Energy, tier 2" in each language the name has, and in the others on top of its English. */
export function tierOf(name: LineName, tier: number): LineName {
  return {
    en: `${name.en}, tier ${tier}`,
    sw: `${name.sw ?? name.en}, daraja ${tier}`,
    zh: `${name.zh ?? name.en}，第${tier}档`,
  };
}

/** "Energy, band 2", as `tierOf`. */
export function bandOf(name: LineName, band: number): LineName {
  return {
    en: `${name.en}, band ${band}`,
    sw: `${name.sw ?? name.en}, kundi ${band}`,
    zh: `${name.zh ?? name.en}，第${band}段`,
  };
}

/** "Energy, peak" for a time-of-use register the tariff did not name. */
export function registerOf(register: string): LineName {
  return {
    en: `${ENGINE_NAMES.energy.en}, ${register}`,
    sw: `${ENGINE_NAMES.energy.sw}, ${register}`,
    zh: `${ENGINE_NAMES.energy.zh}（${register}）`,
  };
}

/** A line's `label` and `labels` fields from its name: other languages only where they differ. */
export function lineLabelFields(name: LineName): {
  label: string;
  labels?: { sw?: string; zh?: string };
} {
  const labels: { sw?: string; zh?: string } = {};
  for (const language of LINE_LANGUAGES) {
    const text = name[language];
    if (text !== undefined && text !== name.en) labels[language] = text;
  }
  return Object.keys(labels).length === 0 ? { label: name.en } : { label: name.en, labels };
}

/** What a line is called in `language`: its own name there, else its `label`. */
export function lineLabelIn(
  line: {
    readonly label: string;
    readonly labels?: { readonly sw?: string; readonly zh?: string };
  },
  language: string,
): string {
  return (
    (language === 'sw' || language === 'zh' ? line.labels?.[language] : undefined) ?? line.label
  );
}
