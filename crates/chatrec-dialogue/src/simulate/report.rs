//! The measured outcome of simulated conversations: success within t turns, average turns,
//! the no-dialogue baseline, per group; as JSON, a text table and an SVG line chart.
//!
//! JSON field names are a contract (`chatrec eval-dialogue --json`):
//! `{"known": R, "cold": R}` with `R = {"users", "success_at": {"1": x, ...},
//! "avg_turns", "baseline_top5", ...}`; other fields of `R` may be added, never renamed.

use std::fmt::Write as _;

use chatrec_models::eval::report::xml_escape;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::evaluate::Conversation;

/// Success shares for t = 1..=max_turns, in order; serialised as `{"1": x, "2": x, ...}`.
#[derive(Debug, Clone, PartialEq)]
pub struct SuccessAt(pub Vec<f64>);

impl Serialize for SuccessAt {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (t, value) in self.0.iter().enumerate() {
            map.serialize_entry(&(t + 1).to_string(), value)?;
        }
        map.end()
    }
}

/// Share of users whose first success came at or before each turn 1..=max_turns.
pub fn success_at(success_turns: &[Option<u32>], max_turns: u32) -> Vec<f64> {
    let n = success_turns.len();
    (1..=max_turns)
        .map(|t| {
            if n == 0 {
                return 0.0;
            }
            let hits = success_turns
                .iter()
                .filter(|s| s.is_some_and(|s| s <= t))
                .count();
            hits as f64 / n as f64
        })
        .collect()
}

/// Results of one group of users (known or cold).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupReport {
    pub users: usize,
    /// Share of users shown the target within t turns.
    pub success_at: SuccessAt,
    /// Mean turn of the first success, over successful conversations only; `null` when
    /// none succeeded.
    pub avg_turns: Option<f64>,
    /// Share of users whose target is in the plain recommender's top-5 at turn 0.
    pub baseline_top5: f64,
    /// Mean turns over all users, a failure counting as `max_turns + 1`.
    pub avg_turns_all: f64,
    pub successes: usize,
    pub max_turns: u32,
    /// Share of shown items that fit every category and the decade asked for so far;
    /// `null` when nothing was shown.
    pub constraint_fit: Option<f64>,
    /// Engine questions per conversation.
    pub questions_per_user: f64,
}

impl GroupReport {
    pub fn from_conversations(conversations: &[&Conversation], max_turns: u32) -> Self {
        let n = conversations.len();
        let turns: Vec<Option<u32>> = conversations.iter().map(|c| c.success_turn).collect();
        let successes: Vec<u32> = turns.iter().flatten().copied().collect();
        let mean = |sum: f64, count: usize| {
            if count == 0 {
                0.0
            } else {
                sum / count as f64
            }
        };
        let avg_turns = (!successes.is_empty())
            .then(|| successes.iter().map(|&t| t as f64).sum::<f64>() / successes.len() as f64);
        let all: f64 = turns
            .iter()
            .map(|t| t.map_or(max_turns as f64 + 1.0, |t| t as f64))
            .sum();
        let shown: usize = conversations.iter().map(|c| c.shown_total).sum();
        let fitting: usize = conversations.iter().map(|c| c.shown_fitting).sum();
        let questions: u32 = conversations.iter().map(|c| c.questions).sum();
        Self {
            users: n,
            success_at: SuccessAt(success_at(&turns, max_turns)),
            avg_turns,
            baseline_top5: mean(
                conversations.iter().filter(|c| c.baseline_hit).count() as f64,
                n,
            ),
            avg_turns_all: mean(all, n),
            successes: successes.len(),
            max_turns,
            constraint_fit: (shown > 0).then(|| fitting as f64 / shown as f64),
            questions_per_user: mean(questions as f64, n),
        }
    }
}

/// Both groups; serialised as exactly `{"known": R, "cold": R}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DialogueReport {
    pub known: GroupReport,
    pub cold: GroupReport,
}

impl DialogueReport {
    /// Splits conversations by group.
    pub fn from_conversations(conversations: &[Conversation], max_turns: u32) -> Self {
        let of = |group| {
            let list: Vec<&Conversation> =
                conversations.iter().filter(|c| c.group == group).collect();
            GroupReport::from_conversations(&list, max_turns)
        };
        Self {
            known: of(super::Group::Known),
            cold: of(super::Group::Cold),
        }
    }

    fn groups(&self) -> [(&'static str, &GroupReport); 2] {
        [("known", &self.known), ("cold", &self.cold)]
    }

    /// A fixed-width table: one row per group, success@t columns, both averages and the
    /// baseline, with a legend saying what each average counts.
    pub fn text_table(&self) -> String {
        let max_turns = self.known.max_turns.max(self.cold.max_turns);
        let mut out = String::new();
        let _ = write!(out, "{:<7}{:>7}", "group", "users");
        for t in 1..=max_turns {
            let _ = write!(out, "{:>9}", format!("succ@{t}"));
        }
        let _ = writeln!(
            out,
            "{:>12}{:>12}{:>12}{:>9}",
            "avg turns¹", "avg turns²", "base top-5", "fit³"
        );
        let width = 14 + 9 * max_turns as usize + 45;
        let _ = writeln!(out, "{}", "-".repeat(width));
        for (name, r) in self.groups() {
            let _ = write!(out, "{name:<7}{:>7}", r.users);
            for t in 0..max_turns as usize {
                let cell = r
                    .success_at
                    .0
                    .get(t)
                    .map_or_else(|| "-".to_owned(), |v| format!("{v:.3}"));
                let _ = write!(out, "{cell:>9}");
            }
            let avg = r
                .avg_turns
                .map_or_else(|| "n/a".to_owned(), |v| format!("{v:.2}"));
            let fit = r
                .constraint_fit
                .map_or_else(|| "n/a".to_owned(), |v| format!("{v:.3}"));
            let _ = writeln!(
                out,
                "{avg:>12}{:>12}{:>12}{fit:>9}",
                format!("{:.2}", r.avg_turns_all),
                format!("{:.3}", r.baseline_top5)
            );
        }
        let _ = writeln!(
            out,
            "succ@t: share of users shown their target within t turns.\n\
             ¹ mean turn of the first success, over successful conversations only.\n\
             ² mean over all users, a failure counting as {} turns.\n\
             base top-5: the target in the recommender's top-5 with no dialogue (known: the user's\n  \
             own scores; cold: fold-in of the 1-3 liked films the cold user reveals).\n\
             ³ share of shown items fitting every category and the decade asked for so far.",
            max_turns + 1
        );
        out
    }

    /// An SVG line chart: success within t turns for both groups (solid), their baselines
    /// as dashed lines, a y axis from 0 to 1 and a legend.
    pub fn svg_chart(&self, title: &str) -> String {
        const LEFT: f64 = 60.0;
        const TOP: f64 = 50.0;
        const PLOT_WIDTH: f64 = 420.0;
        const PLOT_HEIGHT: f64 = 300.0;
        const BOTTOM: f64 = 50.0;
        const LEGEND: f64 = 300.0;
        const COLOURS: [&str; 2] = ["#4e79a7", "#f28e2b"];
        // Different dashes, so that equal baselines stay visible on top of each other.
        const DASHES: [&str; 2] = ["8 4", "3 3"];
        let max_turns = self.known.max_turns.max(self.cold.max_turns).max(1);
        let width = LEFT + PLOT_WIDTH + LEGEND;
        let height = TOP + PLOT_HEIGHT + BOTTOM;
        let baseline = TOP + PLOT_HEIGHT;
        let x_of = |t: u32| {
            if max_turns == 1 {
                LEFT + PLOT_WIDTH / 2.0
            } else {
                LEFT + 20.0 + (t - 1) as f64 * (PLOT_WIDTH - 40.0) / (max_turns - 1) as f64
            }
        };
        let y_of = |v: f64| baseline - v.clamp(0.0, 1.0) * PLOT_HEIGHT;

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
            r#"<text x="{LEFT}" y="24" font-size="14" font-weight="bold">{}</text>"#,
            xml_escape(title)
        );
        for step in 0..=5 {
            let value = step as f64 / 5.0;
            let y = y_of(value);
            let _ = writeln!(
                svg,
                r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#dddddd"/>"##,
                LEFT + PLOT_WIDTH
            );
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{:.0}%</text>"#,
                LEFT - 6.0,
                y + 4.0,
                value * 100.0
            );
        }
        let _ = writeln!(
            svg,
            r#"<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{baseline}" stroke="black"/>"#
        );
        let _ = writeln!(
            svg,
            r#"<line x1="{LEFT}" y1="{baseline}" x2="{:.1}" y2="{baseline}" stroke="black"/>"#,
            LEFT + PLOT_WIDTH
        );
        for t in 1..=max_turns {
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{t}</text>"#,
                x_of(t),
                baseline + 18.0
            );
        }
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">turns (t)</text>"#,
            LEFT + PLOT_WIDTH / 2.0,
            baseline + 38.0
        );
        let _ = writeln!(
            svg,
            r#"<text x="16" y="{:.1}" text-anchor="middle" transform="rotate(-90 16 {:.1})">success within t turns</text>"#,
            TOP + PLOT_HEIGHT / 2.0,
            TOP + PLOT_HEIGHT / 2.0
        );
        for (g, (name, r)) in self.groups().iter().enumerate() {
            let colour = COLOURS[g];
            let y = y_of(r.baseline_top5);
            let _ = writeln!(
                svg,
                r#"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{colour}" stroke-width="1.5" stroke-dasharray="{}"/>"#,
                LEFT + PLOT_WIDTH,
                DASHES[g]
            );
            let points: Vec<String> = r
                .success_at
                .0
                .iter()
                .enumerate()
                .map(|(t, &v)| format!("{:.1},{:.1}", x_of(t as u32 + 1), y_of(v)))
                .collect();
            let _ = writeln!(
                svg,
                r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2.5"/>"#,
                points.join(" ")
            );
            for (t, &v) in r.success_at.0.iter().enumerate() {
                let (x, y) = (x_of(t as u32 + 1), y_of(v));
                let _ = writeln!(
                    svg,
                    r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{colour}"/>"#
                );
                let dy = if g == 0 { -8.0 } else { 16.0 };
                let _ = writeln!(
                    svg,
                    r#"<text x="{x:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="{colour}">{v:.2}</text>"#,
                    y + dy
                );
            }
            let legend_x = LEFT + PLOT_WIDTH + 20.0;
            let legend_y = TOP + g as f64 * 44.0;
            let _ = writeln!(
                svg,
                r#"<line x1="{legend_x:.1}" y1="{legend_y:.1}" x2="{:.1}" y2="{legend_y:.1}" stroke="{colour}" stroke-width="2.5"/>"#,
                legend_x + 24.0
            );
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{:.1}">{} users, dialogue (n={})</text>"#,
                legend_x + 30.0,
                legend_y + 4.0,
                xml_escape(name),
                r.users
            );
            let _ = writeln!(
                svg,
                r#"<line x1="{legend_x:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{colour}" stroke-width="1.5" stroke-dasharray="{}"/>"#,
                legend_y + 20.0,
                legend_x + 24.0,
                legend_y + 20.0,
                DASHES[g]
            );
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{:.1}">{} baseline, top-5 ({:.3})</text>"#,
                legend_x + 30.0,
                legend_y + 24.0,
                xml_escape(name),
                r.baseline_top5
            );
        }
        svg.push_str("</svg>\n");
        svg
    }
}

/// The parsed acts in one line: `constrain(category=Horror, include, hard); like_item(Alien)`.
fn compact_acts(acts: &serde_json::Value) -> String {
    fn brief(value: &serde_json::Value) -> String {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(title) = map.get("title").and_then(|t| t.as_str()) {
                    return title.to_owned();
                }
                map.iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "confidence" | "item_id" | "mention"))
                    .map(|(k, v)| match v {
                        serde_json::Value::Object(_) | serde_json::Value::Array(_) => brief(v),
                        serde_json::Value::String(s) if k == "kind" => s.clone(),
                        _ => format!("{k}={}", v.to_string().trim_matches('"')),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            }
            serde_json::Value::Array(list) => list.iter().map(brief).collect::<Vec<_>>().join(", "),
            other => other.to_string(),
        }
    }
    match acts {
        serde_json::Value::Array(list) if !list.is_empty() => list
            .iter()
            .map(|act| {
                let name = act.get("act").and_then(|a| a.as_str()).unwrap_or("?");
                let mut rest = act.clone();
                if let Some(map) = rest.as_object_mut() {
                    map.remove("act");
                }
                let inner = brief(&rest);
                if inner.is_empty() {
                    name.to_owned()
                } else {
                    format!("{name}({inner})")
                }
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => "-".to_owned(),
    }
}

/// A readable transcript of one conversation.
pub fn transcript(c: &Conversation) -> String {
    let mut out = String::new();
    let outcome = match c.success_turn {
        Some(t) => format!("found at turn {t}"),
        None => "not found".to_owned(),
    };
    let baseline = if c.baseline_hit { "hit" } else { "miss" };
    let _ = writeln!(
        out,
        "=== {} user {} | target: {} [{}] | {outcome} | baseline top-5: {baseline}",
        c.group.name(),
        c.user_id,
        c.target,
        c.target_categories.join(", ")
    );
    let _ = writeln!(
        out,
        "    liked films it may name: {}",
        c.revealed.join("; ")
    );
    for t in &c.turns {
        let _ = writeln!(out, "{:>2} user: {}", t.turn, t.user);
        let _ = writeln!(out, "   acts: {}", compact_acts(&t.acts));
        let bot = if t.question { "bot?" } else { "bot:" };
        for (k, line) in t.reply.lines().enumerate() {
            let label = if k == 0 { bot } else { "" };
            let _ = writeln!(out, "   {label:<5}{line}");
        }
        if !t.shown.is_empty() {
            let titles: Vec<&str> = t.shown.iter().map(|s| s.title.as_str()).collect();
            let mark = if t.hit { "  <== target" } else { "" };
            let _ = writeln!(out, "   shown: {}{mark}", titles.join(" | "));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::Group;

    fn conversation(group: Group, success: Option<u32>, baseline: bool) -> Conversation {
        Conversation {
            group,
            user_id: "u".into(),
            target_id: "i".into(),
            target: "Target (1999)".into(),
            target_categories: vec!["Comedy".into()],
            revealed: vec![],
            success_turn: success,
            baseline_hit: baseline,
            shown_total: 3,
            shown_fitting: 2,
            questions: 1,
            turns: vec![],
        }
    }

    #[test]
    fn success_at_counts_first_success_within_t() {
        let turns = [Some(1), Some(3), None, Some(5), Some(3)];
        let s = success_at(&turns, 5);
        assert_eq!(s, vec![0.2, 0.2, 0.6, 0.6, 0.8]);
        assert_eq!(success_at(&[], 3), vec![0.0, 0.0, 0.0]);
        // Monotone and never above 1.
        assert!(s.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn averages_say_what_they_count() {
        let list = [
            conversation(Group::Known, Some(1), true),
            conversation(Group::Known, Some(3), false),
            conversation(Group::Known, None, false),
            conversation(Group::Cold, None, false),
        ];
        let report = DialogueReport::from_conversations(&list, 5);
        assert_eq!(report.known.users, 3);
        assert_eq!(report.known.avg_turns, Some(2.0));
        assert!((report.known.avg_turns_all - (1.0 + 3.0 + 6.0) / 3.0).abs() < 1e-12);
        assert!((report.known.baseline_top5 - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(report.cold.users, 1);
        assert_eq!(report.cold.avg_turns, None);
        assert_eq!(report.cold.avg_turns_all, 6.0);
    }

    #[test]
    fn json_has_the_contract_fields() {
        let list = [
            conversation(Group::Known, Some(2), true),
            conversation(Group::Cold, Some(4), false),
        ];
        let report = DialogueReport::from_conversations(&list, 5);
        let value = serde_json::to_value(&report).expect("serialisable");
        let top = value.as_object().expect("object");
        let mut keys: Vec<&String> = top.keys().collect();
        keys.sort();
        assert_eq!(keys, ["cold", "known"]);
        for group in ["known", "cold"] {
            let r = &value[group];
            assert!(r["users"].is_u64());
            assert!(r["avg_turns"].is_f64());
            assert!(r["baseline_top5"].is_f64());
            let s = r["success_at"]
                .as_object()
                .expect("success_at is an object");
            let keys: Vec<&str> = s.keys().map(String::as_str).collect();
            assert_eq!(keys.len(), 5);
            for t in 1..=5 {
                assert!(s[&t.to_string()].is_f64(), "success_at.{t}");
            }
        }
        assert_eq!(value["known"]["success_at"]["2"], 1.0);
        assert_eq!(value["known"]["success_at"]["1"], 0.0);
        assert_eq!(value["cold"]["success_at"]["4"], 1.0);
    }

    #[test]
    fn chart_and_table_render() {
        let list = [
            conversation(Group::Known, Some(2), true),
            conversation(Group::Cold, None, false),
        ];
        let report = DialogueReport::from_conversations(&list, 5);
        let svg = report.svg_chart("a <title> & more");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("&lt;title&gt; &amp; more"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("stroke-dasharray").count(), 4);
        let table = report.text_table();
        assert!(table.contains("known") && table.contains("cold"));
        assert!(table.contains("succ@5"));
        assert!(table.contains("a failure counting as 6 turns"));
    }
}
