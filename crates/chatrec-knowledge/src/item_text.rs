//! The one text that stands for an item wherever it is embedded (catalog search, cold-start
//! map): title, year and decade, categories, free text, and readable knowledge-graph facts.
//! Keeping it in one place means cached vectors and fresh vectors always agree.

use chatrec_core::Item;

/// `facts` are readable statements ("directed by Ridley Scott"); pass none when the graph
/// only has opaque ids (as RecBole's Freebase mids are), since ids carry no meaning for a
/// language model.
pub fn item_text(item: &Item, facts: &[String]) -> String {
    let mut text = item.title.trim().to_string();
    if let Some(year) = item.year {
        text.push_str(&format!(
            " ({year}). Released in {year}, the {}s",
            year / 10 * 10
        ));
    }
    text.push('.');
    if !item.categories.is_empty() {
        text.push_str(&format!(" Genres: {}.", item.categories.join(", ")));
    }
    let free = item.text.trim();
    if !free.is_empty() {
        text.push(' ');
        text.push_str(free);
        if !free.ends_with(['.', '!', '?']) {
            text.push('.');
        }
    }
    for fact in facts {
        text.push_str(&format!(" {}.", fact.trim().trim_end_matches('.')));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(title: &str, year: Option<i32>, categories: &[&str], text: &str) -> Item {
        Item {
            id: "1".into(),
            title: title.into(),
            year,
            categories: categories.iter().map(|c| c.to_string()).collect(),
            text: text.into(),
        }
    }

    #[test]
    fn text_carries_title_year_decade_categories_free_text_and_facts() {
        let alien = item(
            "Alien",
            Some(1979),
            &["Horror", "Sci-Fi"],
            "A crew meets a creature",
        );
        let text = item_text(&alien, &["directed by Ridley Scott".to_string()]);
        assert_eq!(
            text,
            "Alien (1979). Released in 1979, the 1970s. Genres: Horror, Sci-Fi. \
             A crew meets a creature. directed by Ridley Scott."
        );
    }

    #[test]
    fn missing_parts_are_left_out() {
        assert_eq!(item_text(&item("Heat", None, &[], ""), &[]), "Heat.");
    }
}
