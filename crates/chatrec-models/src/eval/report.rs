//! Rendering evaluation reports: a plain-text table for the terminal, a Markdown table
//! comparing several models, JSON, and an SVG grouped bar chart.
//!
//! Metric keys are `name@k` (see [`super::runner::RankingReport`]); tables and charts list
//! them in a fixed order, by metric family (precision, recall, ndcg, map, mrr, hit,
//! coverage, novelty, then any other name alphabetically) and then by increasing k.
//! Everything is built with `format!`; the SVG is written by hand and escapes all text.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;

use super::error::EvalError;
use super::runner::{RankingReport, RatingReport};

const FAMILY_ORDER: [&str; 8] = [
    "precision",
    "recall",
    "ndcg",
    "map",
    "mrr",
    "hit",
    "coverage",
    "novelty",
];

/// Splits `ndcg@10` into (`ndcg`, Some(10)); a key without a cut-off has `None`.
fn parse_key(key: &str) -> (&str, Option<usize>) {
    match key.rsplit_once('@') {
        Some((family, k)) => match k.parse() {
            Ok(k) => (family, Some(k)),
            Err(_) => (key, None),
        },
        None => (key, None),
    }
}

fn family_rank(family: &str) -> usize {
    FAMILY_ORDER
        .iter()
        .position(|f| *f == family)
        .unwrap_or(FAMILY_ORDER.len())
}

/// Sorts metric keys by family (in the fixed order), then name, then k.
pub fn sort_metric_keys(keys: &mut [String]) {
    keys.sort_by(|a, b| {
        let (fa, ka) = parse_key(a);
        let (fb, kb) = parse_key(b);
        (family_rank(fa), fa, ka).cmp(&(family_rank(fb), fb, kb))
    });
}

/// Every metric key present in any report, in display order.
pub fn metric_keys(reports: &[RankingReport]) -> Vec<String> {
    let set: BTreeSet<&String> = reports.iter().flat_map(|r| r.metrics.keys()).collect();
    let mut keys: Vec<String> = set.into_iter().cloned().collect();
    sort_metric_keys(&mut keys);
    keys
}

fn format_value(value: f64) -> String {
    if value.is_nan() {
        "n/a".to_owned()
    } else {
        format!("{value:.4}")
    }
}

/// A fixed-width table of one report: one row per metric family, one column per k.
pub fn text_table(report: &RankingReport) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "model: {}   users evaluated: {}",
        report.model, report.users
    );
    if let Some(fit) = report.fit_seconds {
        let _ = write!(out, "   fit: {fit:.2} s");
    }
    let _ = writeln!(out, "   evaluation: {:.2} s", report.eval_seconds);

    let mut families: Vec<String> = Vec::new();
    let mut ks: BTreeSet<usize> = report.ks.iter().copied().collect();
    let mut keys: Vec<String> = report.metrics.keys().cloned().collect();
    sort_metric_keys(&mut keys);
    for key in &keys {
        let (family, k) = parse_key(key);
        if !families.iter().any(|f| f == family) {
            families.push(family.to_owned());
        }
        ks.extend(k);
    }
    let name_width = families.iter().map(String::len).max().unwrap_or(6).max(6);
    const COLUMN: usize = 10;
    let _ = write!(out, "{:<name_width$}", "metric");
    for k in &ks {
        let _ = write!(out, "{:>COLUMN$}", format!("@{k}"));
    }
    out.push('\n');
    let _ = writeln!(out, "{}", "-".repeat(name_width + COLUMN * ks.len()));
    for family in &families {
        let _ = write!(out, "{family:<name_width$}");
        if ks.is_empty() || report.metrics.contains_key(family.as_str()) {
            // A metric without a cut-off fills the first column.
            let value = report.metrics.get(family.as_str()).copied();
            let _ = write!(out, "{:>COLUMN$}", value.map_or("-".into(), format_value));
        } else {
            for k in &ks {
                let value = report.metrics.get(&format!("{family}@{k}")).copied();
                let _ = write!(out, "{:>COLUMN$}", value.map_or("-".into(), format_value));
            }
        }
        out.push('\n');
    }
    out
}

/// A two-line summary of a rating evaluation.
pub fn rating_text(model: &str, report: &RatingReport) -> String {
    format!(
        "model: {model}   rated pairs: {}\nRMSE {:.4}   MAE {:.4}\n",
        report.n, report.rmse, report.mae
    )
}

fn markdown_cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\n', " ")
}

/// A Markdown table with one row per report and one column per metric in `metrics`
/// (every metric when empty), followed by fit and evaluation seconds.
pub fn compare(reports: &[RankingReport], metrics: &[String]) -> String {
    let columns: Vec<String> = if metrics.is_empty() {
        metric_keys(reports)
    } else {
        metrics.to_vec()
    };
    let mut out = String::from("| model |");
    for column in &columns {
        let _ = write!(out, " {} |", markdown_cell(column));
    }
    out.push_str(" users | fit s | eval s |\n|:---|");
    for _ in &columns {
        out.push_str("---:|");
    }
    out.push_str("---:|---:|---:|\n");
    for report in reports {
        let _ = write!(out, "| {} |", markdown_cell(&report.model));
        for column in &columns {
            let cell = report
                .metrics
                .get(column)
                .map_or_else(|| "-".to_owned(), |&v| format_value(v));
            let _ = write!(out, " {cell} |");
        }
        let fit = report
            .fit_seconds
            .map_or_else(|| "-".to_owned(), |s| format!("{s:.2}"));
        let _ = writeln!(
            out,
            " {} | {fit} | {:.2} |",
            report.users, report.eval_seconds
        );
    }
    out
}

/// Pretty-printed JSON of any report or list of reports.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String, EvalError> {
    Ok(serde_json::to_string_pretty(value)?)
}

/// Escapes text for XML content and attribute values (SVG charts).
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `max`.
fn nice_ceiling(max: f64) -> f64 {
    if !(max.is_finite() && max > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&v| v >= max * (1.0 - 1e-12))
        .unwrap_or(10.0 * magnitude)
}

const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

/// An SVG grouped bar chart: one group per metric in `metrics` (every metric when empty),
/// one bar per report inside each group, with a y axis, value labels and a legend.
pub fn svg_bar_chart(reports: &[RankingReport], metrics: &[String]) -> String {
    let metrics: Vec<String> = if metrics.is_empty() {
        metric_keys(reports)
    } else {
        metrics.to_vec()
    };
    const BAR: f64 = 30.0;
    const GROUP_GAP: f64 = 24.0;
    const LEFT: f64 = 60.0;
    const TOP: f64 = 40.0;
    const PLOT_HEIGHT: f64 = 300.0;
    const BOTTOM: f64 = 50.0;
    const LEGEND: f64 = 200.0;
    let n_models = reports.len().max(1) as f64;
    let group_width = n_models * BAR + GROUP_GAP;
    let plot_width = (metrics.len().max(1) as f64 * group_width).max(200.0);
    let width = LEFT + plot_width + LEGEND;
    let height = TOP + PLOT_HEIGHT + BOTTOM;
    let value_of = |report: &RankingReport, metric: &str| {
        report
            .metrics
            .get(metric)
            .copied()
            .filter(|v| v.is_finite())
    };
    let max_value = reports
        .iter()
        .flat_map(|r| metrics.iter().filter_map(move |m| value_of(r, m)))
        .fold(0.0f64, f64::max);
    let y_max = nice_ceiling(max_value);
    let baseline = TOP + PLOT_HEIGHT;
    let y_of = |v: f64| baseline - (v.max(0.0) / y_max) * PLOT_HEIGHT;

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r#"<rect x="0" y="0" width="{width:.0}" height="{height:.0}" fill="white"/>"#
    );
    let _ = writeln!(
        svg,
        r#"<text x="{LEFT}" y="24" font-size="14" font-weight="bold">Offline evaluation</text>"#
    );
    // Y axis with five gridlines.
    for step in 0..=5 {
        let value = y_max * step as f64 / 5.0;
        let y = y_of(value);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#dddddd"/>"##,
            LEFT + plot_width
        );
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT - 6.0,
            y + 4.0,
            format_tick(value)
        );
    }
    let _ = writeln!(
        svg,
        r#"<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{baseline}" stroke="black"/>"#
    );
    let _ = writeln!(
        svg,
        r#"<line x1="{LEFT}" y1="{baseline}" x2="{:.1}" y2="{baseline}" stroke="black"/>"#,
        LEFT + plot_width
    );
    for (g, metric) in metrics.iter().enumerate() {
        let group_x = LEFT + GROUP_GAP / 2.0 + g as f64 * group_width;
        for (m, report) in reports.iter().enumerate() {
            let x = group_x + m as f64 * BAR;
            let colour = PALETTE[m % PALETTE.len()];
            let (label, value) = match value_of(report, metric) {
                Some(v) => (format!("{v:.3}"), v),
                None => ("n/a".to_owned(), 0.0),
            };
            let y = y_of(value);
            let _ = writeln!(
                svg,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{colour}"/>"#,
                BAR - 2.0,
                baseline - y
            );
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" font-size="9" text-anchor="middle">{label}</text>"#,
                x + (BAR - 2.0) / 2.0,
                y - 3.0
            );
        }
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            group_x + n_models * BAR / 2.0,
            baseline + 20.0,
            xml_escape(metric)
        );
    }
    let legend_x = LEFT + plot_width + 20.0;
    for (m, report) in reports.iter().enumerate() {
        let y = TOP + m as f64 * 20.0;
        let _ = writeln!(
            svg,
            r#"<rect x="{legend_x:.1}" y="{y:.1}" width="12" height="12" fill="{}"/>"#,
            PALETTE[m % PALETTE.len()]
        );
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
            legend_x + 18.0,
            y + 10.0,
            xml_escape(&report.model)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn format_tick(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn report(model: &str, ndcg: f64, recall: f64) -> RankingReport {
        let metrics: BTreeMap<String, f64> = [
            ("ndcg@10".to_owned(), ndcg),
            ("recall@10".to_owned(), recall),
            ("ndcg@5".to_owned(), ndcg / 2.0),
            ("coverage@10".to_owned(), 0.25),
        ]
        .into_iter()
        .collect();
        RankingReport {
            model: model.to_owned(),
            users: 10,
            ks: vec![5, 10],
            metrics,
            coverage: 0.25,
            novelty: 0.0,
            fit_seconds: Some(1.5),
            eval_seconds: 0.25,
        }
    }

    /// Checks that every start tag is closed in order, `<x/>` counts as closed, and `&`
    /// only starts the five XML entities. Returns the element names seen.
    fn check_balanced(svg: &str) -> Vec<String> {
        let mut stack: Vec<String> = Vec::new();
        let mut names = Vec::new();
        let mut rest = svg;
        while let Some(open) = rest.find('<') {
            let text = &rest[..open];
            for (i, _) in text.match_indices('&') {
                let entity = &text[i..];
                assert!(
                    ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                        .iter()
                        .any(|e| entity.starts_with(e)),
                    "bare & in {text:?}"
                );
            }
            let close = rest[open..].find('>').expect("unterminated tag") + open;
            let tag = &rest[open + 1..close];
            assert!(!tag.contains('<'), "nested < in tag {tag:?}");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(
                    stack.pop().as_deref(),
                    Some(name.trim()),
                    "mismatched </{name}>"
                );
            } else {
                let name: String = tag
                    .chars()
                    .take_while(|c| !c.is_whitespace() && *c != '/')
                    .collect();
                names.push(name.clone());
                if !tag.ends_with('/') {
                    stack.push(name);
                }
            }
            rest = &rest[close + 1..];
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
        assert!(rest.trim().is_empty());
        names
    }

    #[test]
    fn svg_is_balanced_and_names_every_model_escaped() {
        let reports = [
            report("als <fast> & \"good\"", 0.4, 0.3),
            report("ease", 0.5, 0.35),
        ];
        let svg = svg_bar_chart(&reports, &["ndcg@10".to_owned(), "recall@10".to_owned()]);
        assert!(svg.starts_with("<svg"));
        let names = check_balanced(&svg);
        assert_eq!(names[0], "svg");
        assert!(names
            .iter()
            .all(|n| ["svg", "rect", "line", "text"].contains(&n.as_str())));
        assert!(svg.contains("als &lt;fast&gt; &amp; &quot;good&quot;"));
        assert!(svg.contains(">ease</text>"));
        assert!(svg.contains(">ndcg@10</text>") && svg.contains(">recall@10</text>"));
        // Value labels: 2 models x 2 metrics.
        for label in [">0.400<", ">0.300<", ">0.500<", ">0.350<"] {
            assert!(svg.contains(label), "{label}");
        }
        // The tallest bar (0.5 on a 0..0.5 axis) fills the plot height.
        assert!(svg.contains(r#"height="300.0""#));
    }

    #[test]
    fn svg_survives_missing_and_empty_input() {
        let svg = svg_bar_chart(&[report("a", 0.1, 0.1)], &["mrr@10".to_owned()]);
        check_balanced(&svg);
        assert!(svg.contains(">n/a<"));
        check_balanced(&svg_bar_chart(&[], &[]));
    }

    #[test]
    fn markdown_compare_has_header_and_one_row_per_model() {
        let reports = [report("als", 0.4, 0.3), report("item|knn", 0.5, 0.35)];
        let table = compare(&reports, &[]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 2 + reports.len());
        assert_eq!(
            lines[0],
            "| model | recall@10 | ndcg@5 | ndcg@10 | coverage@10 | users | fit s | eval s |"
        );
        assert!(lines[1].starts_with("|:---|---:|"));
        assert_eq!(
            lines[2],
            "| als | 0.3000 | 0.2000 | 0.4000 | 0.2500 | 10 | 1.50 | 0.25 |"
        );
        assert!(lines[3].starts_with("| item\\|knn | 0.3500 |"));
        let chosen = compare(&reports, &["ndcg@10".to_owned(), "mrr@10".to_owned()]);
        assert!(chosen.lines().nth(2).unwrap().contains("| 0.4000 | - |"));
    }

    #[test]
    fn text_table_has_one_row_per_family_and_one_column_per_k() {
        let table = text_table(&report("als", 0.4, 0.3));
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].contains("model: als") && lines[0].contains("fit: 1.50 s"));
        assert!(lines[1].starts_with("metric") && lines[1].ends_with("@10"));
        assert_eq!(
            lines[3].split_whitespace().collect::<Vec<_>>(),
            ["recall", "-", "0.3000"]
        );
        assert_eq!(
            lines[4].split_whitespace().collect::<Vec<_>>(),
            ["ndcg", "0.2000", "0.4000"]
        );
        assert_eq!(lines.len(), 3 + 3);
    }

    #[test]
    fn json_round_trips() {
        let reports = vec![report("als", 0.4, 0.3)];
        let json = to_json(&reports).unwrap();
        let back: Vec<RankingReport> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, reports);
    }

    #[test]
    fn nice_ceiling_rounds_up_to_readable_values() {
        assert_eq!(nice_ceiling(0.43), 0.5);
        assert_eq!(nice_ceiling(0.5), 0.5);
        assert_eq!(nice_ceiling(7.2), 10.0);
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert!((nice_ceiling(0.17) - 0.2).abs() < 1e-12);
    }
}
