// Dutch (default) and English strings. Every user-visible string goes through t(); static text in
// index.html carries data-i18n="key" (text) or data-i18n-aria="key" / data-i18n-title="key".

export type Lang = 'nl' | 'en';
export const LANGS: Lang[] = ['nl', 'en'];

const nl = {
  appTitle: 'MDI-atlas',
  appSubtitle: 'Meervoudige achterstand per buurt',
  langSwitch: 'English',
  langSwitchLabel: 'Switch to English',
  search: 'Zoeken',
  searchPlaceholder: 'Gemeente, wijk, buurt of code',
  searchLabel: 'Zoek een gemeente, wijk of buurt op naam of code',
  searchNone: 'Niets gevonden',
  searchResults: '{n} resultaten, kies met pijltjes en Enter',
  searchError: 'Zoeken mislukt: {msg}',
  controls: 'Kaartinstellingen',
  controlsToggle: 'Instellingen',
  variable: 'Kaart van',
  view: 'Weergave',
  viewValue: 'Stand in één jaar',
  viewChange: 'Verandering tussen twee jaren',
  viewPersistence: 'Hardnekkigheid over de jaren',
  year: 'Jaar',
  compareYear: 'Vergeleken met',
  palette: 'Kleuren',
  palYlorrd: 'Geel–rood (YlOrRd)',
  palViridis: 'Viridis',
  palCividis: 'Cividis',
  mdi: 'MDI (alle domeinen)',
  mdiShort: 'MDI',
  mdiWeighted: 'MDI, eigen weging',
  dwd: 'Domeinen in slechtste deciel',
  weights: 'Weging van de domeinen',
  weightsHelp: 'Verschuif om de MDI opnieuw te wegen; de kaart kleurt direct mee. Percentages = aandeel in het totaal.',
  weightsReset: 'Terug naar de standaardweging',
  weightsProfile: 'Standaardweging van het profiel',
  weightsCustom: 'Eigen weging: alleen de MDI-kaart',
  weightLabel: 'Gewicht {name}',
  exportPng: 'Kaart als PNG',
  qgis: 'Koppelen met QGIS',
  legendDirection: '1 = meeste achterstand, 10 = minste achterstand',
  legendChangeDirection: 'verschil in deciel met {cy}: negatief (oranje) = lager deciel = meer achterstand; positief (paars) = minder achterstand',
  legendChangeDwd: 'positief (oranje) = in meer domeinen in het slechtste deciel dan in {cy} = meer achterstand',
  legendPersistence: 'aantal jaren in het slechtste deciel ({from}–{to})',
  legendPersistenceCount: '{n} buurten in beeld zaten elk jaar in het slechtste deciel',
  legendDwd: 'aantal domeinen (van {n}) in het slechtste deciel',
  legendNoData: 'geen gegevens',
  legendNoDataWhy: 'geen score — klik voor de reden',
  noScore: 'geen score',
  reasonHeading: 'Geen MDI in {year}',
  reasonShort_no_row: 'geen rij in de tabel van {year}',
  reasonShort_no_population: 'aantal inwoners onbekend',
  reasonShort_population_below: 'te weinig inwoners',
  reasonShort_too_few_domains: 'te weinig domeinen met gegevens',
  reasonShort_no_polygon: 'geen vlak',
  reasonShort_collapsed: 'vlak valt weg',
  reasonShort_water: 'water',
  reasonShort_no_ranked_areas: 'geen buurt met een score',
  reason_no_row: 'De tabellen van {year} hebben geen rij voor deze code; vaak is de code tussen twee CBS-edities veranderd.',
  reason_no_population: 'Het aantal inwoners in {year} is onbekend.',
  reason_population_below: 'Minder inwoners dan het minimum van het profiel.',
  reason_too_few_domains: 'Te weinig domeinen met gegevens om een MDI te berekenen.',
  reason_no_polygon: 'Er zijn cijfers, maar geen vlak in de gebiedsbestanden.',
  reason_collapsed: 'Het vlak valt weg op de resolutie van de atlas.',
  reason_water: 'Water: geen bewoning.',
  reason_no_ranked_areas: 'Geen enkele buurt in dit gebied heeft een score.',
  reasonUnknown: 'Reden: {code}.',
  reasonDetail: 'Uit de berekening: {detail}.',
  notOnMap: 'Niet op de kaart: voor deze code zijn cijfers, maar de gebiedsbestanden van de atlas hebben er geen vlak voor (vaak een code die tussen CBS-edities veranderde). De cijfers hieronder komen uit de gegevens van de atlas.',
  collapsedNote: 'Dit vlak valt weg op de resolutie van de atlas: op de kaart is het niet (of alleen als labelpunt) te zien.',
  domainsUsed: 'MDI op {n} van {of} domeinen',
  domainsUsedMissing: 'zonder gegevens: {list}; hun gewicht is over de andere domeinen verdeeld',
  fewDomainsNotice: 'De MDI van {year} rust op {n} van {of} domeinen. Geen gegevens voor {list}: hun gewicht is over de andere domeinen verdeeld.',
  breakNotice: 'Let op: tussen {from} en {to} is {list} anders gedefinieerd (trendbreuk); deze verandering is niet zuiver vergelijkbaar.',
  weightNoData: 'geen gegevens',
  weightNoDataTitle: 'Geen gegevens voor {name} in {year}: het gewicht is over de andere domeinen verdeeld.',
  weightsUsedNote: 'Gewichten zoals gebruikt in {year}.',
  aboutGrey: 'Grijs = geen score in {year}. Redenen, met het aantal buurten op de kaart:',
  aboutGreyNone: 'In {year} heeft elke buurt op de kaart een score.',
  aboutRanked: '{n} buurten hebben een score in {year}.',
  legendWater: 'water',
  legendPending: 'klassegrenzen worden berekend…',
  legendBreaksError: 'klassegrenzen niet beschikbaar: {msg}',
  everyYear: 'elk jaar',
  titleValue: '{variable}, {year}',
  titleChange: '{variable}: verandering {cy}–{year}',
  titleChangeDecile: '{variable}: verandering van het deciel, {cy}–{year}',
  titlePersistence: '{variable}: jaren in het slechtste deciel, {from}–{to}',
  titleDwdPersistence: '{variable}: jaren met ≥ 1 domein in het slechtste deciel, {from}–{to}',
  decileLabel: 'deciel {c} van 10 (1 = meeste achterstand)',
  decileMost: '1 = meeste achterstand',
  decileLeast: '10 = minste achterstand',
  decileScale: 'Decielen: 1 = meeste achterstand, 10 = minste achterstand.',
  changeMore: 'verandering {d}: meer achterstand',
  changeLess: 'verandering {d}: minder achterstand',
  changeSame: 'verandering 0: gelijk gebleven',
  yearsLabel: '{n} jaar',
  zoomNotice: 'Op dit zoomniveau bevatten de tegels alleen de MDI; zoom in voor {variable}.',
  zoomNoticeWeights: 'Op dit zoomniveau bevatten de tegels geen domeinscores; zoom in om de eigen weging te zien.',
  weightsIgnored: 'De eigen weging geldt voor de MDI-kaart in de weergave "stand in één jaar".',
  close: 'Sluiten',
  closePanel: 'Paneel sluiten',
  panel: 'Gebiedsgegevens',
  level_buurten: 'Buurt',
  level_wijken: 'Wijk',
  level_gemeenten: 'Gemeente',
  code: 'Code',
  wijk: 'Wijk',
  gemeente: 'Gemeente',
  population: 'Inwoners',
  mdiRankNational: 'Rang landelijk',
  mdiDecileNational: 'Deciel landelijk',
  mdiRankWithin: 'Rang in de gemeente',
  mdiDecileWithin: 'Deciel in de gemeente',
  rankOf: '{rank} van {of}',
  domainBars: 'Deciel per domein, {year}',
  domainBarsDesc: 'Staafdiagram: deciel 1 tot 10 per domein, 1 = meeste achterstand (langste staaf), 10 = minste achterstand.',
  trend: 'MDI-deciel door de jaren',
  trendDesc: 'Lijndiagram van het landelijke MDI-deciel per jaar, 1 = meeste achterstand (boven), 10 = minste achterstand.',
  shareWorst: 'Inwoners in buurten van het slechtste deciel',
  classShares: 'Inwoners naar MDI-deciel van hun buurt, {year}',
  classSharesDesc: 'Staafdiagram: aandeel inwoners per deciel, 1 = meeste achterstand, 10 = minste achterstand.',
  sharesMissing: 'Verdeling over de decielen nog niet beschikbaar op deze server.',
  dwdCount: 'Domeinen in slechtste deciel',
  notRanked: 'Niet gerangschikt in {year}',
  noDataArea: 'Geen gegevens voor dit gebied.',
  waterArea: 'Water: geen bewoning, niet gerangschikt.',
  domainsMissing: 'Ontbrekende domeinen: {list}',
  downloadCsv: 'Gegevens als CSV',
  zoomTo: 'Zoom naar gebied',
  children: '{n} onderliggende gebieden',
  loading: 'Laden…',
  loadError: 'Laden mislukt: {msg}',
  selected: 'Geselecteerd: {name} ({level}), {what}',
  hovered: '{name}: {what}',
  noValue: 'geen gegevens',
  qgisTitle: 'Koppelen met QGIS',
  qgisIntro: 'Laag → Laag toevoegen → Vectortegellaag toevoegen… → Nieuwe algemene verbinding. Plak daar:',
  qgisXyz: 'URL (XYZ-tegels)',
  qgisZoom: 'Min. en max. zoom',
  qgisStyle: 'Stijl-URL (QGIS-variant)',
  qgisTilejson: 'TileJSON (voor andere programma’s; QGIS leest dit niet)',
  qgisDownloads: 'Downloads',
  qgisPmtiles: 'Of open het hele archief: Laag → Vectorlaag toevoegen, met /vsicurl/ voor de URL van atlas.pmtiles (QGIS 3.32+).',
  copy: 'Kopieer',
  copied: 'Gekopieerd',
  about: 'Over de methode',
  aboutText1: 'De MDI combineert zeven domeinen tot één score per buurt. Buurten worden per jaar gerangschikt en in tien even grote groepen (decielen) verdeeld: de kaart toont dus relatieve posities, geen absolute niveaus. Een buurt kan in deciel 1 blijven terwijl het er beter gaat, als het elders sneller beter gaat.',
  aboutText2: 'Deciel 1 = de 10% buurten met de meeste achterstand, deciel 10 = de 10% met de minste. Buurten zonder score zijn grijs: waarom, staat hieronder en in het paneel van de buurt.',
  aboutText3: 'De gewichten van de domeinen zijn een waardeoordeel, geen natuurwet; probeer met de schuiven hoe gevoelig het beeld daarvoor is. Een laag deciel is een signaal om verder te kijken, geen oordeel over de bewoners.',
  synthetic: 'Let op: dit is een verzonnen demoregio, geen echte plaatsen of cijfers.',
  exportFailed: 'Exporteren mislukt: {msg}',
  mapLabel: 'Kaart van meervoudige achterstand per buurt. Gebruik de zoekfunctie om een gebied te kiezen; op de kaart selecteert Enter het gebied in het midden.',
  zoomIn: 'Inzoomen',
  zoomOut: 'Uitzoomen',
  source: 'Bron',
};

export type Key = keyof typeof nl;

const en: Record<Key, string> = {
  appTitle: 'MDI atlas',
  appSubtitle: 'Multiple deprivation per neighbourhood',
  langSwitch: 'Nederlands',
  langSwitchLabel: 'Schakel naar Nederlands',
  search: 'Search',
  searchPlaceholder: 'Municipality, district, neighbourhood or code',
  searchLabel: 'Search a municipality, district or neighbourhood by name or code',
  searchNone: 'Nothing found',
  searchResults: '{n} results, use arrow keys and Enter',
  searchError: 'Search failed: {msg}',
  controls: 'Map settings',
  controlsToggle: 'Settings',
  variable: 'Map of',
  view: 'View',
  viewValue: 'State in one year',
  viewChange: 'Change between two years',
  viewPersistence: 'Persistence over the years',
  year: 'Year',
  compareYear: 'Compared with',
  palette: 'Colours',
  palYlorrd: 'Yellow–red (YlOrRd)',
  palViridis: 'Viridis',
  palCividis: 'Cividis',
  mdi: 'MDI (all domains)',
  mdiShort: 'MDI',
  mdiWeighted: 'MDI, own weights',
  dwd: 'Domains in the worst decile',
  weights: 'Domain weights',
  weightsHelp: 'Move to re-weight the MDI; the map recolours at once. Percentages = share of the total.',
  weightsReset: 'Back to the default weights',
  weightsProfile: 'Default weights of the profile',
  weightsCustom: 'Own weights: MDI map only',
  weightLabel: 'Weight of {name}',
  exportPng: 'Map as PNG',
  qgis: 'Connect from QGIS',
  legendDirection: '1 = most deprived, 10 = least deprived',
  legendChangeDirection: 'decile difference from {cy}: negative (orange) = lower decile = more deprived; positive (purple) = less deprived',
  legendChangeDwd: 'positive (orange) = more domains in the worst decile than in {cy} = more deprived',
  legendPersistence: 'number of years in the worst decile ({from}–{to})',
  legendPersistenceCount: '{n} neighbourhoods in view were in the worst decile every year',
  legendDwd: 'number of domains (of {n}) in the worst decile',
  legendNoData: 'no data',
  legendNoDataWhy: 'no score — click for the reason',
  noScore: 'no score',
  reasonHeading: 'No MDI in {year}',
  reasonShort_no_row: 'no row in the {year} table',
  reasonShort_no_population: 'population unknown',
  reasonShort_population_below: 'too few inhabitants',
  reasonShort_too_few_domains: 'too few domains with data',
  reasonShort_no_polygon: 'no polygon',
  reasonShort_collapsed: 'polygon collapses',
  reasonShort_water: 'water',
  reasonShort_no_ranked_areas: 'no ranked neighbourhood',
  reason_no_row: 'The {year} tables have no row for this code; often the code changed between two CBS editions.',
  reason_no_population: 'The population in {year} is unknown.',
  reason_population_below: 'Fewer inhabitants than the profile’s minimum.',
  reason_too_few_domains: 'Too few domains with data to compute an MDI.',
  reason_no_polygon: 'There are figures, but no polygon in the area files.',
  reason_collapsed: 'The polygon collapses at the atlas’s resolution.',
  reason_water: 'Water: uninhabited.',
  reason_no_ranked_areas: 'Not a single neighbourhood in this area has a score.',
  reasonUnknown: 'Reason: {code}.',
  reasonDetail: 'From the build: {detail}.',
  notOnMap: 'Not on the map: there are figures for this code, but the atlas’s area files have no polygon for it (often a code that changed between CBS editions). The figures below come from the atlas’s data.',
  collapsedNote: 'This polygon collapses at the atlas’s resolution: the map does not show it (or only as a label point).',
  domainsUsed: 'MDI on {n} of {of} domains',
  domainsUsedMissing: 'without data: {list}; their weight was re-spread over the other domains',
  fewDomainsNotice: 'The {year} MDI rests on {n} of {of} domains. No data for {list}: their weight was re-spread over the other domains.',
  breakNotice: 'Note: between {from} and {to} {list} changed definition (series break); this change is not like for like.',
  weightNoData: 'no data',
  weightNoDataTitle: 'No data for {name} in {year}: its weight was re-spread over the other domains.',
  weightsUsedNote: 'Weights as used in {year}.',
  aboutGrey: 'Grey = no score in {year}. Reasons, with the number of neighbourhoods on the map:',
  aboutGreyNone: 'In {year} every neighbourhood on the map has a score.',
  aboutRanked: '{n} neighbourhoods have a score in {year}.',
  legendWater: 'water',
  legendPending: 'computing class breaks…',
  legendBreaksError: 'class breaks unavailable: {msg}',
  everyYear: 'every year',
  titleValue: '{variable}, {year}',
  titleChange: '{variable}: change {cy}–{year}',
  titleChangeDecile: '{variable}: change in decile, {cy}–{year}',
  titlePersistence: '{variable}: years in the worst decile, {from}–{to}',
  titleDwdPersistence: '{variable}: years with ≥ 1 domain in the worst decile, {from}–{to}',
  decileLabel: 'decile {c} of 10 (1 = most deprived)',
  decileMost: '1 = most deprived',
  decileLeast: '10 = least deprived',
  decileScale: 'Deciles: 1 = most deprived, 10 = least deprived.',
  changeMore: 'change {d}: more deprived',
  changeLess: 'change {d}: less deprived',
  changeSame: 'change 0: unchanged',
  yearsLabel: '{n} years',
  zoomNotice: 'At this zoom the tiles hold the MDI only; zoom in for {variable}.',
  zoomNoticeWeights: 'At this zoom the tiles hold no domain scores; zoom in to see your own weights.',
  weightsIgnored: 'Own weights apply to the MDI map in the "state in one year" view.',
  close: 'Close',
  closePanel: 'Close panel',
  panel: 'Area details',
  level_buurten: 'Neighbourhood',
  level_wijken: 'District',
  level_gemeenten: 'Municipality',
  code: 'Code',
  wijk: 'District',
  gemeente: 'Municipality',
  population: 'Inhabitants',
  mdiRankNational: 'National rank',
  mdiDecileNational: 'National decile',
  mdiRankWithin: 'Rank within the municipality',
  mdiDecileWithin: 'Decile within the municipality',
  rankOf: '{rank} of {of}',
  domainBars: 'Decile per domain, {year}',
  domainBarsDesc: 'Bar chart: decile 1 to 10 per domain, 1 = most deprived (longest bar), 10 = least deprived.',
  trend: 'MDI decile over the years',
  trendDesc: 'Line chart of the national MDI decile per year, 1 = most deprived (top), 10 = least deprived.',
  shareWorst: 'Inhabitants in neighbourhoods of the worst decile',
  classShares: 'Inhabitants by the MDI decile of their neighbourhood, {year}',
  classSharesDesc: 'Bar chart: share of inhabitants per decile, 1 = most deprived, 10 = least deprived.',
  sharesMissing: 'Breakdown by decile not yet available on this server.',
  dwdCount: 'Domains in the worst decile',
  notRanked: 'Not ranked in {year}',
  noDataArea: 'No data for this area.',
  waterArea: 'Water: uninhabited, not ranked.',
  domainsMissing: 'Missing domains: {list}',
  downloadCsv: 'Data as CSV',
  zoomTo: 'Zoom to area',
  children: '{n} areas below',
  loading: 'Loading…',
  loadError: 'Loading failed: {msg}',
  selected: 'Selected: {name} ({level}), {what}',
  hovered: '{name}: {what}',
  noValue: 'no data',
  qgisTitle: 'Connect from QGIS',
  qgisIntro: 'Layer → Add Layer → Add Vector Tile Layer… → New Generic Connection. Paste:',
  qgisXyz: 'URL (XYZ tiles)',
  qgisZoom: 'Min and max zoom',
  qgisStyle: 'Style URL (QGIS flavour)',
  qgisTilejson: 'TileJSON (for other clients; QGIS does not read it)',
  qgisDownloads: 'Downloads',
  qgisPmtiles: 'Or open the whole archive: Layer → Add Vector Layer, with /vsicurl/ before the URL of atlas.pmtiles (QGIS 3.32+).',
  copy: 'Copy',
  copied: 'Copied',
  about: 'About the method',
  aboutText1: 'The MDI combines seven domains into one score per neighbourhood. Neighbourhoods are ranked per year and split into ten equal groups (deciles): the map shows relative positions, not absolute levels. A neighbourhood can stay in decile 1 while improving, if others improve faster.',
  aboutText2: 'Decile 1 = the 10% most deprived neighbourhoods, decile 10 = the 10% least deprived. Neighbourhoods without a score are grey: why is listed below and in the neighbourhood’s panel.',
  aboutText3: 'The domain weights are a value judgement, not a law of nature; use the sliders to see how sensitive the picture is to them. A low decile is a signal to look closer, not a verdict on the residents.',
  synthetic: 'Note: this is an invented demo region, not real places or figures.',
  exportFailed: 'Export failed: {msg}',
  mapLabel: 'Map of multiple deprivation per neighbourhood. Use search to pick an area; on the map, Enter selects the area in the centre.',
  zoomIn: 'Zoom in',
  zoomOut: 'Zoom out',
  source: 'Source',
};

const dicts: Record<Lang, Record<Key, string>> = { nl, en };

let lang: Lang = 'nl';

export function getLang(): Lang {
  return lang;
}

export function setLang(l: Lang): void {
  lang = l;
  document.documentElement.lang = l;
}

/** The string for key in the current language, with {name} placeholders filled in. */
export function t(key: Key, vars?: Record<string, string | number>): string {
  const s = dicts[lang][key];
  return vars ? s.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m)) : s;
}

/**
 * A domain's display name in the current language: the profile's name for it from /api/meta
 * (`names`, language → name), else the profile's default `name`. Domain ids mean nothing here.
 */
export function domainName(d: { name: string; names?: Record<string, string> | null }): string {
  return d.names?.[lang] ?? d.name;
}

export function levelName(layer: string, fallback: string): string {
  const key = `level_${layer}` as Key;
  return key in nl ? t(key) : fallback;
}

const locale = (): string => (lang === 'nl' ? 'nl-NL' : 'en-GB');

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString(locale());
}

export function fmtPct(x: number, digits = 0): string {
  return (x * 100).toLocaleString(locale(), { maximumFractionDigits: digits, minimumFractionDigits: digits }) + '%';
}

export function fmtNum(x: number, digits = 1): string {
  return x.toLocaleString(locale(), { maximumFractionDigits: digits });
}

/** A signed integer with a real minus sign (change classes). */
export function fmtSigned(d: number): string {
  return d > 0 ? `+${d}` : d < 0 ? `−${-d}` : '0';
}

/** Fill the static text of index.html (data-i18n, data-i18n-aria, data-i18n-title, data-i18n-ph). */
export function applyStatic(root: ParentNode = document): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]')) el.textContent = t(el.dataset.i18n as Key);
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n-aria]'))
    el.setAttribute('aria-label', t(el.dataset.i18nAria as Key));
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle as Key);
  for (const el of root.querySelectorAll<HTMLInputElement>('[data-i18n-ph]'))
    el.placeholder = t(el.dataset.i18nPh as Key);
}

/** The reason codes of the atlas (mdi_format::Reason): the client has words for these. */
export const REASON_CODES = ['no-row', 'no-population', 'population-below', 'too-few-domains', 'no-polygon', 'collapsed', 'water', 'no-ranked-areas'] as const;

/**
 * A grey area's reason in words: `long` for the panel and the About text, `short` for the
 * tooltip. An unknown code (a newer server) is shown as the code itself.
 */
export function reasonText(code: string, form: 'short' | 'long', year: number): string {
  const key = `${form === 'short' ? 'reasonShort_' : 'reason_'}${code.replace(/-/g, '_')}` as Key;
  if (key in nl) return t(key, { year });
  return form === 'short' ? code : t('reasonUnknown', { code });
}
