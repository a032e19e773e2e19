//! One reading of a turn from two: the built-in parser's and an assistant's (a language
//! model's, already validated against the catalog and the user's words).
//!
//! The parser is exact on the phrasings it knows; a model, especially a small one, is
//! not, but it can read words the parser cannot. So a turn the parser did not understand
//! at all takes the model's reading whole; otherwise the parser's acts stand and the model
//! may only add what they lack: a constraint on something the parser left open, a text
//! query when the parser found none, an anchor or an opinion on an item the parser's acts
//! do not name. A model's greeting, request, follow-up or navigation next to an
//! understood turn would only contradict the parser ("tell me more" read as "more"), so
//! those are left out; and a turn the parser read as a question about what was said
//! ("why the second one?", "what do you know about me?") gains nothing, since any addition
//! would turn the answer into a new list.

use crate::acts::{Act, ActKind, Constraint, ItemMention, Target};

/// The acts a turn is answered with, given the parser's and the assistant's readings.
pub fn reconcile(builtin: Vec<Act>, assisted: Vec<Act>) -> Vec<Act> {
    if assisted.is_empty() {
        return builtin;
    }
    let understood = builtin
        .iter()
        .any(|act| !matches!(act.kind, ActKind::Unknown { .. }));
    if !understood {
        return assisted;
    }
    if builtin
        .iter()
        .any(|act| asks_about_what_was_said(&act.kind))
    {
        return builtin;
    }
    let mut acts = builtin;
    for act in assisted {
        if let Some(addition) = addition(&acts, act) {
            acts.push(addition);
        }
    }
    acts
}

/// Acts answered from what was already said rather than with a new list.
fn asks_about_what_was_said(kind: &ActKind) -> bool {
    matches!(
        kind,
        ActKind::Why { .. }
            | ActKind::TellMore { .. }
            | ActKind::Profile
            | ActKind::AmbiguousTitle { .. }
            | ActKind::UnresolvedReference { .. }
    )
}

/// `act` as far as it adds to `acts` without contradicting them, or `None`.
fn addition(acts: &[Act], act: Act) -> Option<Act> {
    let Act { kind, confidence } = act;
    let kind = match kind {
        ActKind::Constrain { ref constraint, .. } => {
            let settled = acts.iter().any(|a| match &a.kind {
                ActKind::Constrain { constraint: c, .. } => same_subject(c, constraint),
                _ => false,
            });
            (!settled).then_some(kind)?
        }
        ActKind::Query { .. } => {
            let found = acts.iter().any(|a| matches!(a.kind, ActKind::Query { .. }));
            (!found).then_some(kind)?
        }
        ActKind::LikeItem { ref item, .. } => (!named(acts, item.item)).then_some(kind)?,
        ActKind::Reject { items } => ActKind::Reject {
            items: unnamed(acts, items)?,
        },
        ActKind::Seen { items } => ActKind::Seen {
            items: unnamed(acts, items)?,
        },
        ActKind::Feedback {
            items,
            sentiment,
            rating,
        } => ActKind::Feedback {
            items: unnamed(acts, items)?,
            sentiment,
            rating,
        },
        _ => return None,
    };
    Some(Act::new(kind, confidence))
}

/// Whether two constraints speak of the same thing (a category, or the period), so that
/// the second would overrule the first.
fn same_subject(a: &Constraint, b: &Constraint) -> bool {
    match (a, b) {
        (Constraint::Category { category: x }, Constraint::Category { category: y }) => x == y,
        (Constraint::Category { .. }, _) | (_, Constraint::Category { .. }) => false,
        // Years, older and newer all place the period.
        _ => true,
    }
}

/// The items of `items` that no act of `acts` names; `None` when none are left.
fn unnamed(acts: &[Act], items: Vec<ItemMention>) -> Option<Vec<ItemMention>> {
    let left: Vec<ItemMention> = items
        .into_iter()
        .filter(|mention| !named(acts, mention.item))
        .collect();
    (!left.is_empty()).then_some(left)
}

fn named(acts: &[Act], item: u32) -> bool {
    acts.iter()
        .any(|act| mentions(&act.kind).any(|m| m.item == item))
}

fn mentions(kind: &ActKind) -> Box<dyn Iterator<Item = &ItemMention> + '_> {
    match kind {
        ActKind::LikeItem { item, .. } => Box::new(std::iter::once(item)),
        ActKind::Reject { items }
        | ActKind::Feedback { items, .. }
        | ActKind::Seen { items }
        | ActKind::Select { items } => Box::new(items.iter()),
        ActKind::Why {
            target: Target::Items { items },
        }
        | ActKind::TellMore {
            target: Target::Items { items },
        } => Box::new(items.iter()),
        ActKind::AmbiguousTitle { options, .. } => Box::new(options.iter()),
        _ => Box::new(std::iter::empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acts::{Polarity, Strictness};

    fn mention(item: u32) -> ItemMention {
        ItemMention {
            item,
            item_id: item.to_string(),
            title: format!("Film {item}"),
            mention: format!("film {item}"),
        }
    }

    fn act(kind: ActKind) -> Act {
        Act::new(kind, 0.8)
    }

    fn category(name: &str, polarity: Polarity) -> Act {
        act(ActKind::Constrain {
            constraint: Constraint::Category {
                category: name.into(),
            },
            polarity,
            strictness: Strictness::Hard,
        })
    }

    fn period(constraint: Constraint) -> Act {
        act(ActKind::Constrain {
            constraint,
            polarity: Polarity::Include,
            strictness: Strictness::Hard,
        })
    }

    #[test]
    fn a_turn_the_parser_did_not_understand_takes_the_models_reading() {
        let builtin = vec![act(ActKind::Unknown {
            text: "a flick with spaceships".into(),
        })];
        let model = vec![act(ActKind::Query {
            text: "spaceships".into(),
        })];
        assert_eq!(reconcile(builtin, model.clone()), model);
    }

    #[test]
    fn without_a_model_reading_the_parser_stands() {
        let builtin = vec![act(ActKind::Unknown { text: "hm".into() })];
        assert_eq!(reconcile(builtin.clone(), Vec::new()), builtin);
    }

    #[test]
    fn a_thin_model_reading_cannot_erase_what_the_parser_understood() {
        let builtin = vec![
            act(ActKind::LikeItem {
                item: mention(50),
                via: None,
            }),
            period(Constraint::Older),
        ];
        let model = vec![act(ActKind::Greeting), act(ActKind::Request)];
        assert_eq!(reconcile(builtin.clone(), model), builtin);
    }

    #[test]
    fn the_model_adds_constraints_on_what_the_parser_left_open() {
        let builtin = vec![category("Horror", Polarity::Exclude)];
        let model = vec![
            category("Horror", Polarity::Include),
            category("Comedy", Polarity::Include),
            period(Constraint::Years {
                from: Some(1980),
                to: Some(1989),
            }),
        ];
        let expected = vec![builtin[0].clone(), model[1].clone(), model[2].clone()];
        assert_eq!(reconcile(builtin, model), expected);
    }

    #[test]
    fn the_period_is_set_once() {
        let older = period(Constraint::Older);
        let model = vec![period(Constraint::Years {
            from: None,
            to: Some(1970),
        })];
        assert_eq!(reconcile(vec![older.clone()], model), vec![older]);
    }

    #[test]
    fn an_item_the_parser_acted_on_keeps_the_parsers_act() {
        let builtin = vec![act(ActKind::Feedback {
            items: vec![mention(1)],
            sentiment: 1.0,
            rating: None,
        })];
        let model = vec![
            act(ActKind::Reject {
                items: vec![mention(1), mention(2)],
            }),
            act(ActKind::LikeItem {
                item: mention(1),
                via: None,
            }),
        ];
        let merged = reconcile(builtin, model);
        assert_eq!(merged.len(), 2);
        assert_eq!(
            merged[1].kind,
            ActKind::Reject {
                items: vec![mention(2)]
            }
        );
    }

    #[test]
    fn follow_ups_are_the_parsers_alone() {
        let builtin = vec![act(ActKind::TellMore {
            target: Target::LastShown,
        })];
        let model = vec![act(ActKind::More), act(ActKind::Request)];
        assert_eq!(reconcile(builtin.clone(), model), builtin);
    }

    #[test]
    fn a_question_about_the_shown_list_gains_no_request() {
        let builtin = vec![act(ActKind::Why {
            target: Target::Items {
                items: vec![mention(2)],
            },
        })];
        let model = vec![
            act(ActKind::Query {
                text: "the second one".into(),
            }),
            category("Comedy", Polarity::Include),
        ];
        assert_eq!(reconcile(builtin.clone(), model), builtin);
    }

    #[test]
    fn a_query_is_added_only_when_the_parser_found_none() {
        let builtin = vec![category("Horror", Polarity::Exclude)];
        let model = vec![
            act(ActKind::Query {
                text: "set in space".into(),
            }),
            act(ActKind::Query {
                text: "robots".into(),
            }),
        ];
        let merged = reconcile(builtin, model);
        assert_eq!(merged.len(), 2);
        assert_eq!(
            merged[1].kind,
            ActKind::Query {
                text: "set in space".into()
            }
        );
    }
}
