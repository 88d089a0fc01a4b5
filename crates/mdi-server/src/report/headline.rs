//! The headline sentences and the caveats of a report, in Dutch.

use std::collections::BTreeMap;

use super::model::Report;
use super::scope::Scope;

/// `x` with `decimals` decimals and a decimal comma, a real minus sign for negatives.
pub(crate) fn nl(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}").replace('.', ",");
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().any(|c| c.is_ascii_digit() && c != '0') => format!("−{rest}"),
        Some(rest) => rest.to_string(),
        None => s,
    }
}

/// A share 0–1 as a whole percentage: `48 %`.
pub(crate) fn percent(share: f64) -> String {
    format!("{} %", nl(100.0 * share, 0))
}

/// `a, b en c`.
fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} en {last}", init.join(", ")),
    }
}

/// The name of the report's area, or the atlas's title.
fn subject(report: &Report) -> String {
    report
        .area
        .as_ref()
        .map_or_else(|| report.atlas.title.clone(), |a| a.name.clone())
}

/// The headline sentences.
pub(crate) fn headline(scope: &Scope<'_>, report: &Report) -> Vec<String> {
    let unit = scope.level_id(0);
    let mut out = Vec::new();
    if let Some(share) = report.share_worst_decile {
        out.push(format!(
            "{} van de inwoners van {} woont in een {unit} uit het slechtste deciel ({}).",
            percent(share),
            subject(report),
            report.year
        ));
    }
    if let Some(d) = &report.district
        && let Some(rank) = d.ranks.share_worst_decile
    {
        let level = scope.area_level();
        let plural = scope
            .atlas
            .meta
            .levels
            .get(level)
            .map_or_else(|| d.level.clone(), |l| l.name.to_lowercase());
        out.push(format!(
            "{} staat daarmee op plaats {rank} van {} {plural}; naar gemiddelde score op plaats {}.",
            d.name,
            d.of,
            d.ranks.average_score.map_or_else(|| "–".into(), |r| r.to_string())
        ));
    }
    trend_sentence(report, &mut out);
    if let Some(p) = &report.persistence
        && let Some(share) = p.share
    {
        out.push(format!(
            "{} van de {unit}en in het slechtste deciel van {} zat daar in {} ook al.",
            percent(share),
            p.to_year,
            p.from_year
        ));
    }
    if let Some(d) = &report.divergence {
        let band = format!(
            "β = {}; 95 %-BI {} tot {}; n = {}",
            nl(d.beta, 3),
            nl(d.ci_low, 3),
            nl(d.ci_high, 3),
            d.n
        );
        out.push(if d.ci_low > 0.0 {
            format!(
                "De kloof groeit: {unit}en met meer achterstand in {} gingen er tot {} minder op vooruit ({band}).",
                d.from_year, d.to_year
            )
        } else if d.ci_high < 0.0 {
            format!(
                "De kloof wordt kleiner: {unit}en met meer achterstand in {} haalden tot {} in ({band}).",
                d.from_year, d.to_year
            )
        } else {
            format!(
                "Tussen {} en {} is geen divergentie of convergentie aan te tonen ({band}).",
                d.from_year, d.to_year
            )
        });
    }
    if let Some(c) = &report.clusters
        && let (Some(i), Some(p)) = (c.moran_i, c.p_value)
    {
        out.push(format!(
            "{} {unit}en vormen een brandhaard (hoog-hoog) in {}; Moran's I = {} (p = {}).",
            c.hotspots.len(),
            c.year,
            nl(i, 2),
            nl(p, 3)
        ));
    }
    out
}

/// The sentence on the domains that worsened and improved.
fn trend_sentence(report: &Report, out: &mut Vec<String>) {
    let domains: Vec<_> = report.trends.iter().filter(|t| t.domain != "mdi").collect();
    // The span most domains' changes cover; a domain measured over another span (a series
    // break) says its own.
    let mut spans: BTreeMap<(i32, i32), usize> = BTreeMap::new();
    for t in domains.iter().filter(|t| t.change.is_some()) {
        if let (Some(a), Some(b)) = (t.change_from, t.change_to) {
            *spans.entry((a, b)).or_default() += 1;
        }
    }
    let Some((&(first, last), _)) = spans.iter().max_by_key(|(span, n)| (**n, span.1 - span.0))
    else {
        return;
    };
    let names = |worse: bool| -> Vec<String> {
        domains
            .iter()
            .filter(|t| t.change.is_some() && t.worsening == worse)
            .map(|t| match (t.change_from, t.change_to) {
                (Some(a), Some(b)) if (a, b) != (first, last) => {
                    format!("{} ({a}–{b})", t.name.to_lowercase())
                }
                _ => t.name.to_lowercase(),
            })
            .collect()
    };
    let (worse, better) = (names(true), names(false));
    let mut s = format!("Tussen {first} en {last} (gepoolde scores) ");
    if worse.is_empty() {
        s.push_str(&format!("verbeterden {}.", list(&better)));
    } else if better.is_empty() {
        s.push_str(&format!("verslechterden {}.", list(&worse)));
    } else {
        s.push_str(&format!(
            "verslechterde {}; {} verbeterde{}.",
            list(&worse),
            list(&better),
            if better.len() > 1 { "n" } else { "" }
        ));
    }
    out.push(s);
}

/// What the figures cannot say.
pub(crate) fn caveats(scope: &Scope<'_>, report: &Report) -> Vec<String> {
    let unit = scope.level_id(0);
    let mut out = vec![
        format!(
            "Ecologische drogreden: een samenhang tussen {unit}en zegt niets over individuele inwoners."
        ),
        "Schaalafhankelijkheid (MAUP): correlaties worden sterker naarmate de gebieden groter zijn; vergelijk alleen binnen één niveau.".into(),
        "Ruimtelijke autocorrelatie: naburige gebieden lijken op elkaar, zodat het effectieve aantal waarnemingen kleiner is dan n en de p-waarden van de correlaties te klein zijn.".into(),
        "Gedeelde constructie: vergelijkingsindicatoren die uit dezelfde gegevens komen als de index (zoals energiearmoede uit laag inkomen) hangen er deels per definitie mee samen.".into(),
    ];
    if report.trends.is_empty() {
        out.push(
            "Deze atlas heeft geen gepoolde scores (pooled.csv): trends en divergentie ontbreken."
                .into(),
        );
    }
    let (from, to) = (scope.year(scope.from), scope.year(scope.y));
    for b in &scope.atlas.meta.series_breaks {
        if b.year > from && b.year <= to {
            out.push(format!(
                "Reeksbreuk in {} ({}) in {}: {} — de MDI en dit domein zijn voor en na {} niet vergelijkbaar.",
                b.indicator, b.domain, b.year, b.note, b.year
            ));
        }
    }
    out.extend(change_span_caveat(scope));
    let mut sources: Vec<(&str, usize)> = report
        .comparators
        .iter()
        .filter(|c| c.unmatched_codes > 0)
        .map(|c| (c.source.as_str(), c.unmatched_codes))
        .collect();
    sources.dedup();
    for (source, n) in sources {
        out.push(format!(
            "{source}: {n} codes komen niet voor in de atlas en zijn overgeslagen."
        ));
    }
    if report.atlas.synthetic {
        out.push(
            "De gegevens zijn synthetisch (demo): de cijfers beschrijven geen echte buurten."
                .into(),
        );
    }
    out
}

/// Where persistence and divergence compare other years than asked, or cannot compare: why.
fn change_span_caveat(scope: &Scope<'_>) -> Option<String> {
    let (from, to) = (scope.from, scope.y);
    if from >= to || scope.change == Some((from, to)) {
        return None;
    }
    let reasons: Vec<String> = (from + 1..=to)
        .filter_map(|b| super::scope::incomparable(scope.atlas, b))
        .collect();
    let why = reasons.join("; ");
    Some(match scope.change {
        Some((a, b)) => format!(
            "Hardnekkigheid en divergentie vergelijken {} met {} in plaats van {} met {}: {why}.",
            scope.year(a),
            scope.year(b),
            scope.year(from),
            scope.year(to)
        ),
        None => format!(
            "Geen hardnekkigheid en divergentie: geen twee vergelijkbare jaren tussen {} en {} ({why}).",
            scope.year(from),
            scope.year(to)
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dutch_numbers_have_a_decimal_comma_and_a_real_minus() {
        assert_eq!(nl(-1.25, 1), "−1,2");
        assert_eq!(nl(0.219, 3), "0,219");
        assert_eq!(nl(-0.0004, 3), "0,000", "no minus on a rounded zero");
        assert_eq!(percent(0.4849), "48 %");
        assert_eq!(list(&["a".into(), "b".into(), "c".into()]), "a, b en c");
    }
}
