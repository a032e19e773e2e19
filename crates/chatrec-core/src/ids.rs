//! Mapping between external identifiers (strings as they appear in files) and the dense
//! `u32` indices that models work with.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// A bijection between external ids and dense indices `0..len`, in insertion order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<String>", into = "Vec<String>")]
pub struct IdMap {
    ids: Vec<String>,
    index: HashMap<String, u32>,
}

impl IdMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the index of `id`, inserting it at the end when it is new.
    pub fn get_or_insert(&mut self, id: &str) -> u32 {
        if let Some(&idx) = self.index.get(id) {
            return idx;
        }
        let idx = u32::try_from(self.ids.len()).expect("more than u32::MAX ids");
        self.ids.push(id.to_owned());
        self.index.insert(id.to_owned(), idx);
        idx
    }

    pub fn get(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    /// The external id of a dense index. Panics when `idx` is out of range, which is a
    /// programming error rather than bad input.
    pub fn id(&self, idx: u32) -> &str {
        &self.ids[idx as usize]
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn ids(&self) -> &[String] {
        &self.ids
    }
}

impl From<Vec<String>> for IdMap {
    fn from(ids: Vec<String>) -> Self {
        let mut map = IdMap::new();
        for id in &ids {
            map.get_or_insert(id);
        }
        map
    }
}

impl From<IdMap> for Vec<String> {
    fn from(map: IdMap) -> Self {
        map.ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insertion_order_defines_indices_and_duplicates_reuse_them() {
        let mut map = IdMap::new();
        assert_eq!(map.get_or_insert("b"), 0);
        assert_eq!(map.get_or_insert("a"), 1);
        assert_eq!(map.get_or_insert("b"), 0);
        assert_eq!(map.len(), 2);
        assert_eq!(map.id(1), "a");
        assert_eq!(map.get("zz"), None);
    }

    #[test]
    fn serde_round_trip_keeps_indices() {
        let map = IdMap::from(vec!["x".to_owned(), "y".to_owned()]);
        let json = serde_json::to_string(&map).unwrap();
        assert_eq!(json, r#"["x","y"]"#);
        let back: IdMap = serde_json::from_str(&json).unwrap();
        assert_eq!(back.get("y"), Some(1));
    }
}
