//! The object of a verb ("loved *Alien and Aliens*", "why *the second one*", "not *that*"):
//! a reference to the shown list or a title, possibly a list of them, and how it turns
//! into acts. When the object cannot be resolved, the act becomes what went wrong
//! (`AmbiguousTitle`, `UnknownTitle`, `UnresolvedReference`) so the session can ask back.

use crate::acts::{ActKind, ItemMention, TitleRole};

use super::lexicon::INTENSIFIERS;
use super::parser::{Turn, UNRESOLVED_CONFIDENCE};
use super::references::Reference;
use super::titles::TitleFound;

/// What an object slot resolved to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Object {
    Items {
        items: Vec<ItemMention>,
        confidence: f32,
        /// The whole shown list ("all of them", "these"): for "why" it means the list.
        all_shown: bool,
    },
    Ambiguous {
        mention: String,
        options: Vec<ItemMention>,
        confidence: f32,
    },
    UnknownTitle {
        mention: String,
    },
    Unresolved {
        mention: String,
    },
}

impl Object {
    pub fn from_reference(reference: Reference, confidence: f32) -> Self {
        match reference {
            Reference::Items { items, all_shown } => Object::Items {
                items,
                confidence,
                all_shown,
            },
            Reference::Unresolved { mention } => Object::Unresolved { mention },
        }
    }

    pub fn from_title(found: TitleFound) -> Self {
        match found {
            TitleFound::Items { items, confidence } => Object::Items {
                items,
                confidence,
                all_shown: false,
            },
            TitleFound::Ambiguous {
                mention,
                options,
                confidence,
            } => Object::Ambiguous {
                mention,
                options,
                confidence,
            },
            TitleFound::Unknown { mention } => Object::UnknownTitle { mention },
        }
    }
}

impl Turn<'_> {
    /// One reference or title at `i`. `strong`: the slot surely holds a title ("loved
    /// X", "like X"), so a phrase that matches nothing is an unknown title rather than
    /// other words.
    fn object_item(&self, i: usize, limit: usize, strong: bool) -> Option<(Object, usize)> {
        if let Some((reference, end)) = self.reference_at(i, true) {
            if end <= limit {
                return Some((Object::from_reference(reference, 1.0), end));
            }
        }
        let (found, end) = self.title_at(i, limit, strong)?;
        Some((Object::from_title(found), end))
    }

    /// The object starting at `i` (after intensifiers), with lists joined by "and", ","
    /// or "or" when every further part is a confident title or a reference.
    pub fn object_at(&self, i: usize, strong: bool) -> Option<(Object, usize)> {
        let limit = self.limit_from(i);
        let start = self.skip(i, INTENSIFIERS);
        let (first, mut end) = self.object_item(start, limit, strong)?;
        let Object::Items {
            mut items,
            mut confidence,
            all_shown: false,
        } = first
        else {
            return Some((first, end));
        };
        while end < limit {
            let joiner = self.word(end);
            if !matches!(joiner, "and" | "," | "&" | "or" | "+") {
                break;
            }
            let next = if joiner == "," && self.is(end + 1, "and") {
                end + 2
            } else {
                end + 1
            };
            match self.object_item(next, limit, false) {
                Some((
                    Object::Items {
                        items: more,
                        confidence: c,
                        all_shown: false,
                    },
                    e,
                )) => {
                    for item in more {
                        if !items.iter().any(|m| m.item == item.item) {
                            items.push(item);
                        }
                    }
                    confidence = confidence.min(c);
                    end = e;
                }
                _ => break,
            }
        }
        let object = Object::Items {
            items,
            confidence,
            all_shown: false,
        };
        Some((object, end))
    }

    /// The object that exactly fills tokens `a..b` (the subject of "... was great").
    pub fn object_in(&self, a: usize, b: usize) -> Option<Object> {
        if let Some((reference, end)) = self.reference_at(a, true) {
            if end == b {
                return Some(Object::from_reference(reference, 1.0));
            }
        }
        self.titles_in(a, b).map(Object::from_title)
    }

    /// Emits the acts `make` builds from resolved items (with `all_shown`), or the act
    /// saying why the object could not be resolved.
    pub fn emit_object(
        &mut self,
        position: usize,
        object: Object,
        make: impl FnOnce(Vec<ItemMention>, bool) -> Vec<ActKind>,
    ) {
        match object {
            Object::Items {
                items,
                confidence,
                all_shown,
            } => {
                self.remember(&items);
                for kind in make(items, all_shown) {
                    self.emit(position, kind, confidence);
                }
            }
            Object::Ambiguous {
                mention,
                options,
                confidence,
            } => {
                // The act the user meant, built on the options, tells what to do with
                // the answer once they pick one.
                let role = make(options.clone(), false)
                    .first()
                    .map_or(TitleRole::Anchor, TitleRole::of);
                self.emit(
                    position,
                    ActKind::AmbiguousTitle {
                        mention,
                        options,
                        role,
                    },
                    confidence,
                );
            }
            Object::UnknownTitle { mention } => {
                self.emit(
                    position,
                    ActKind::UnknownTitle { mention },
                    UNRESOLVED_CONFIDENCE,
                );
            }
            Object::Unresolved { mention } => {
                let role = make(Vec::new(), false)
                    .first()
                    .map_or(TitleRole::Choose, TitleRole::of);
                self.emit(
                    position,
                    ActKind::UnresolvedReference { mention, role },
                    UNRESOLVED_CONFIDENCE,
                );
            }
        }
    }
}
