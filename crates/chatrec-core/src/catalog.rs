//! Items and users with their descriptive attributes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::IdMap;

/// One catalog item (a movie, a book, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// External id as it appears in the source files.
    pub id: String,
    pub title: String,
    pub year: Option<i32>,
    /// Genres or other categories, in source order, without duplicates.
    pub categories: Vec<String>,
    /// Free text (description, tags); empty when the source has none.
    pub text: String,
}

impl Item {
    /// An item known only by its id, as created when interactions name items that no
    /// catalog file describes.
    pub fn bare(id: &str) -> Self {
        Item {
            id: id.to_owned(),
            title: id.to_owned(),
            ..Item::default()
        }
    }

    /// "Title (Year)" as people read it in lists and replies.
    pub fn display_title(&self) -> String {
        display_title(&self.title, self.year)
    }
}

/// "Title (Year)", unless the title already ends with its year.
pub fn display_title(title: &str, year: Option<i32>) -> String {
    let title = title.trim();
    match year {
        Some(year) if !title.ends_with(&format!("({year})")) => format!("{title} ({year})"),
        _ => title.to_owned(),
    }
}

/// One user with free-form attributes (age, gender, occupation, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub attributes: BTreeMap<String, String>,
}

/// Items and users, each addressable by external id or dense index.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    item_ids: IdMap,
    items: Vec<Item>,
    user_ids: IdMap,
    users: Vec<User>,
}

impl Catalog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an item or replaces the one with the same id; returns its index.
    pub fn upsert_item(&mut self, item: Item) -> u32 {
        let idx = self.item_ids.get_or_insert(&item.id);
        if idx as usize == self.items.len() {
            self.items.push(item);
        } else {
            self.items[idx as usize] = item;
        }
        idx
    }

    /// Adds a user or replaces the one with the same id; returns its index.
    pub fn upsert_user(&mut self, user: User) -> u32 {
        let idx = self.user_ids.get_or_insert(&user.id);
        if idx as usize == self.users.len() {
            self.users.push(user);
        } else {
            self.users[idx as usize] = user;
        }
        idx
    }

    /// Index of the user with this id, creating a user without attributes if needed.
    pub fn user_index_or_insert(&mut self, id: &str) -> u32 {
        match self.user_ids.get(id) {
            Some(idx) => idx,
            None => self.upsert_user(User {
                id: id.to_owned(),
                attributes: BTreeMap::new(),
            }),
        }
    }

    /// Index of the item with this id, creating a bare item if needed.
    pub fn item_index_or_insert(&mut self, id: &str) -> u32 {
        match self.item_ids.get(id) {
            Some(idx) => idx,
            None => self.upsert_item(Item::bare(id)),
        }
    }

    pub fn item_index(&self, id: &str) -> Option<u32> {
        self.item_ids.get(id)
    }

    pub fn user_index(&self, id: &str) -> Option<u32> {
        self.user_ids.get(id)
    }

    pub fn item(&self, idx: u32) -> &Item {
        &self.items[idx as usize]
    }

    pub fn user(&self, idx: u32) -> &User {
        &self.users[idx as usize]
    }

    pub fn items(&self) -> &[Item] {
        &self.items
    }

    pub fn users(&self) -> &[User] {
        &self.users
    }

    pub fn item_ids(&self) -> &IdMap {
        &self.item_ids
    }

    pub fn user_ids(&self) -> &IdMap {
        &self.user_ids
    }

    pub fn n_items(&self) -> usize {
        self.items.len()
    }

    pub fn n_users(&self) -> usize {
        self.users.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upsert_replaces_in_place() {
        let mut c = Catalog::new();
        let a = c.upsert_item(Item::bare("a"));
        let b = c.item_index_or_insert("b");
        let mut new_a = Item::bare("a");
        new_a.title = "Alpha".into();
        assert_eq!(c.upsert_item(new_a), a);
        assert_eq!(c.item(a).title, "Alpha");
        assert_eq!(c.item(b).title, "b");
        assert_eq!(c.n_items(), 2);
        assert_eq!(c.user_index_or_insert("u1"), 0);
        assert_eq!(c.user_index_or_insert("u1"), 0);
        assert_eq!(c.n_users(), 1);
    }
}
