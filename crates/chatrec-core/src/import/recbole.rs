//! RecBole atomic files (<https://recbole.io/docs/user_guide/data/atomic_files.html>):
//! tab-separated, one typed header `name:type` per column, where the type is `token`,
//! `float`, `token_seq` or `float_seq` and sequences are space-separated.
//!
//! `<name>.inter` maps `user_id`, `item_id`, `rating`, `timestamp` (or the columns of
//! [`ImportOptions::mapping`]); `<name>.item` gives `item_id`, a title from `movie_title`,
//! `title` or `name`, a year from `release_year` or `year`, categories from `class`,
//! `genre` or `categories`, and every other column as free text (`column: value; ...`);
//! `<name>.user` gives `user_id` and every other column as an attribute. A year that is
//! not a number (ml-100k has "unkonwn") leaves the year empty rather than failing the row.

use std::collections::BTreeMap;
use std::path::Path;

use csv::ByteRecord;

use super::reader::{
    check_min_rating, check_width, collect_interactions, strip_recbole_type, utf8_field,
    FirstDefinitions, InteractionCollector, InteractionColumns, IssueLog, Records, RECBOLE_TYPES,
};
use super::{ImportError, ImportOptions, ImportReport};
use crate::catalog::{Catalog, Item, User};
use crate::dataset::Dataset;

const TITLE_COLUMNS: [&str; 3] = ["movie_title", "title", "name"];
const YEAR_COLUMNS: [&str; 2] = ["release_year", "year"];
const CATEGORY_COLUMNS: [&str; 3] = ["class", "genre", "categories"];

/// The atomic-file name (`ml-100k` for `ml-100k.inter`) of the data set in `dir`, if any.
///
/// With several `.inter` files (RecBole benchmark splits such as `x.train.inter`), the
/// one named after the directory wins; otherwise the choice would be a guess, so it is an
/// error listing them.
pub fn find_recbole_name(dir: &Path) -> Result<Option<String>, ImportError> {
    let entries = std::fs::read_dir(dir).map_err(|e| ImportError::io(dir, e))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| ImportError::io(dir, e))?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "inter") && path.is_file() {
            if let Some(stem) = path.file_stem() {
                names.push(stem.to_string_lossy().into_owned());
            }
        }
    }
    names.sort();
    match names.len() {
        0 => Ok(None),
        1 => Ok(names.pop()),
        _ => {
            let dir_name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if names.contains(&dir_name) {
                Ok(Some(dir_name))
            } else {
                Err(ImportError::unusable(
                    dir,
                    format!(
                        "several RecBole interaction files ({}); load one of them by path",
                        names
                            .iter()
                            .map(|n| format!("{n}.inter"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ))
            }
        }
    }
}

/// Loads the RecBole data set in `dir`, found with [`find_recbole_name`].
pub fn load_recbole_dir(
    dir: &Path,
    options: &ImportOptions,
) -> Result<(Dataset, ImportReport), ImportError> {
    match find_recbole_name(dir)? {
        Some(name) => load_recbole(dir, &name, options),
        None => Err(ImportError::NotRecognized {
            path: dir.to_path_buf(),
            looked_for: vec!["*.inter (RecBole atomic files)".to_owned()],
        }),
    }
}

/// Loads `<dir>/<name>.inter` with the optional `<name>.item` and `<name>.user`.
pub fn load_recbole(
    dir: &Path,
    name: &str,
    options: &ImportOptions,
) -> Result<(Dataset, ImportReport), ImportError> {
    let inter_path = dir.join(format!("{name}.inter"));
    let item_path = dir.join(format!("{name}.item"));
    let user_path = dir.join(format!("{name}.user"));
    if !inter_path.is_file() {
        return Err(ImportError::NotRecognized {
            path: dir.to_path_buf(),
            looked_for: vec![format!("{name}.inter")],
        });
    }
    let mut log = IssueLog::new(options.strict);
    let mut report = ImportReport::default();
    let mut catalog = Catalog::new();
    let has_item_file = item_path.is_file();
    if has_item_file {
        read_items(&item_path, &mut catalog, &mut log)?;
        report.files.push(item_path);
    }
    if user_path.is_file() {
        read_users(&user_path, &mut catalog, &mut log)?;
        report.files.push(user_path);
    }

    let mut records = Records::open(&inter_path, b'\t', false)?;
    let header = typed_header(&inter_path, &mut records)?;
    let columns = InteractionColumns::locate(&inter_path, &header, options)?;
    check_min_rating(&inter_path, options, columns.rating.is_some())?;
    let mut collector = InteractionCollector::new(
        &inter_path,
        has_item_file.then(|| catalog.item_ids()),
        columns.rating.is_some(),
        columns.timestamp.is_some(),
    );
    collect_interactions(
        &inter_path,
        &mut records,
        &columns,
        &mut collector,
        &mut log,
        &format!("{name}.item"),
    )?;
    report.files.insert(0, inter_path);
    let dataset = collector.finish(catalog, options, &log, &mut report)?;
    report.skipped = log.skipped;
    report.issues = log.issues;
    Ok((dataset, report))
}

/// Reads a typed header, returning names without their type suffixes.
fn typed_header(path: &Path, records: &mut Records) -> Result<Vec<String>, ImportError> {
    let raw = records.header()?;
    let mut names = Vec::with_capacity(raw.len());
    for (i, field) in raw.iter().enumerate() {
        if let Some((_, ty)) = field.rsplit_once(':') {
            if !RECBOLE_TYPES.contains(&ty) {
                return Err(ImportError::unusable(
                    path,
                    format!(
                        "line 1: column {} \"{field}\" has unknown type \"{ty}\" \
                         (expected token, float, token_seq or float_seq)",
                        i + 1
                    ),
                ));
            }
        }
        names.push(strip_recbole_type(field).to_owned());
    }
    Ok(names)
}

fn position(header: &[String], candidates: &[&str]) -> Option<usize> {
    candidates
        .iter()
        .find_map(|c| header.iter().position(|h| h == c))
}

/// Where the item fields are in an item file's header.
struct ItemLayout {
    header: Vec<String>,
    id: usize,
    title: Option<usize>,
    year: Option<usize>,
    categories: Option<usize>,
    text: Vec<usize>,
}

impl ItemLayout {
    fn new(path: &Path, header: Vec<String>) -> Result<Self, ImportError> {
        let id = header.iter().position(|h| h == "item_id").ok_or_else(|| {
            ImportError::unusable(path, "missing column \"item_id\" in the header")
        })?;
        let title = position(&header, &TITLE_COLUMNS);
        let year = position(&header, &YEAR_COLUMNS);
        let categories = position(&header, &CATEGORY_COLUMNS);
        let text = (0..header.len())
            .filter(|&c| c != id && ![title, year, categories].contains(&Some(c)))
            .collect();
        Ok(ItemLayout {
            header,
            id,
            title,
            year,
            categories,
            text,
        })
    }

    fn field<'r>(&self, record: &'r ByteRecord, column: usize) -> Result<&'r str, String> {
        utf8_field(record, column, &self.header[column])
    }

    fn parse(&self, record: &ByteRecord) -> Result<Item, String> {
        check_width(record, self.header.len())?;
        let id = self.field(record, self.id)?;
        if id.is_empty() {
            return Err("empty item id in column \"item_id\"".to_owned());
        }
        let title = match self.title {
            Some(c) => self.field(record, c)?,
            None => "",
        };
        let year = match self.year {
            Some(c) => self.field(record, c)?.parse::<i32>().ok(),
            None => None,
        };
        let mut categories: Vec<String> = Vec::new();
        if let Some(c) = self.categories {
            for token in self.field(record, c)?.split_whitespace() {
                if !categories.iter().any(|k| k == token) {
                    categories.push(token.to_owned());
                }
            }
        }
        let mut text_parts = Vec::new();
        for &c in &self.text {
            let value = self.field(record, c)?;
            if !value.is_empty() {
                text_parts.push(format!("{}: {value}", self.header[c]));
            }
        }
        Ok(Item {
            id: id.to_owned(),
            title: if title.is_empty() { id } else { title }.to_owned(),
            year,
            categories,
            text: text_parts.join("; "),
        })
    }
}

/// Loads the item file into `catalog`, in file order.
fn read_items(path: &Path, catalog: &mut Catalog, log: &mut IssueLog) -> Result<(), ImportError> {
    let mut records = Records::open(path, b'\t', false)?;
    let layout = ItemLayout::new(path, typed_header(path, &mut records)?)?;
    let mut defined = FirstDefinitions::default();
    let mut rows = 0;
    while let Some(line) = records.next_record()? {
        rows += 1;
        let parsed = layout
            .parse(&records.record)
            .and_then(|item| defined.claim("item", &item.id, line).map(|()| item));
        match parsed {
            Ok(item) => {
                catalog.upsert_item(item);
            }
            Err(message) => log.skip(path, line, message)?,
        }
    }
    if catalog.n_items() == 0 {
        return Err(log.no_valid_rows(path, "item", rows));
    }
    Ok(())
}

fn parse_user(header: &[String], id_col: usize, record: &ByteRecord) -> Result<User, String> {
    check_width(record, header.len())?;
    let id = utf8_field(record, id_col, "user_id")?;
    if id.is_empty() {
        return Err("empty user id in column \"user_id\"".to_owned());
    }
    let mut attributes = BTreeMap::new();
    for (c, name) in header.iter().enumerate() {
        if c == id_col {
            continue;
        }
        let value = utf8_field(record, c, name)?;
        if !value.is_empty() {
            attributes.insert(name.clone(), value.to_owned());
        }
    }
    Ok(User {
        id: id.to_owned(),
        attributes,
    })
}

/// Loads the user file into `catalog`, in file order.
fn read_users(path: &Path, catalog: &mut Catalog, log: &mut IssueLog) -> Result<(), ImportError> {
    let mut records = Records::open(path, b'\t', false)?;
    let header = typed_header(path, &mut records)?;
    let id_col = header
        .iter()
        .position(|h| h == "user_id")
        .ok_or_else(|| ImportError::unusable(path, "missing column \"user_id\" in the header"))?;
    let mut defined = FirstDefinitions::default();
    let mut rows = 0;
    while let Some(line) = records.next_record()? {
        rows += 1;
        let parsed = parse_user(&header, id_col, &records.record)
            .and_then(|user| defined.claim("user", &user.id, line).map(|()| user));
        match parsed {
            Ok(user) => {
                catalog.upsert_user(user);
            }
            Err(message) => log.skip(path, line, message)?,
        }
    }
    if catalog.n_users() == 0 {
        return Err(log.no_valid_rows(path, "user", rows));
    }
    Ok(())
}
