//! MovieLens in its own formats (<https://files.grouplens.org/datasets/movielens/>).
//!
//! * 100K (`ml-100k/`): `u.data` is `user \t item \t rating \t timestamp` without header;
//!   `u.item` is Latin-1 text `id|title (year)|release date|video date|url|<genre flags>`,
//!   the flags named by `u.genre` (`name|index`, standard list when the file is absent);
//!   `u.user` is `id|age|gender|occupation|zip`. User attributes use RecBole's names
//!   (`age`, `gender`, `occupation`, `zip_code`) so both sources of ml-100k agree.
//! * latest / 1M+ CSV (`ml-latest-small/`, `ml-25m/`, ...): `ratings.csv`
//!   (`userId,movieId,rating,timestamp`), `movies.csv` (`movieId,title,genres`, genres
//!   `|`-separated, `(no genres listed)` meaning none), `tags.csv`
//!   (`userId,movieId,tag,timestamp`), whose distinct tags become the item text
//!   `tags: a, b, c`.
//!
//! Titles end in `(year)`, which [`split_title_year`] moves into the item's year.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use csv::ByteRecord;

use super::reader::{
    check_min_rating, check_width, collect_interactions, shorten, utf8_field, FirstDefinitions,
    InteractionCollector, InteractionColumns, IssueLog, Records,
};
use super::{ColumnMapping, ImportError, ImportOptions, ImportReport};
use crate::catalog::{Catalog, Item, User};
use crate::dataset::Dataset;

/// The 19 genres of ml-100k in flag order, used when `u.genre` is absent.
pub const ML100K_GENRES: [&str; 19] = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
];

const ML100K_USER_ATTRIBUTES: [&str; 4] = ["age", "gender", "occupation", "zip_code"];
const NO_GENRES: &str = "(no genres listed)";

/// Splits `"Toy Story (1995)"` into `("Toy Story", Some(1995))`. A trailing range such as
/// `(2007-2013)` gives its first year; a title without a trailing year is kept whole.
pub fn split_title_year(raw: &str) -> (String, Option<i32>) {
    let text = raw.trim();
    if let Some(inner) = text.strip_suffix(')') {
        if let Some(open) = inner.rfind('(') {
            let years = &inner[open + 1..];
            let digits: String = years.chars().take_while(char::is_ascii_digit).collect();
            let rest_is_range = years[digits.len()..]
                .chars()
                .all(|c| c.is_ascii_digit() || c == '-' || c == '\u{2013}');
            let title = inner[..open].trim_end();
            if digits.len() == 4 && rest_is_range && !title.is_empty() {
                if let Ok(year) = digits.parse::<i32>() {
                    return (title.to_owned(), Some(year));
                }
            }
        }
    }
    (text.to_owned(), None)
}

/// Loads the MovieLens 100K files in `dir`: `u.data` (required), `u.item`, `u.user`,
/// `u.genre`.
pub fn load_movielens_100k(
    dir: &Path,
    options: &ImportOptions,
) -> Result<(Dataset, ImportReport), ImportError> {
    let data_path = dir.join("u.data");
    if !data_path.is_file() {
        return Err(ImportError::NotRecognized {
            path: dir.to_path_buf(),
            looked_for: vec!["u.data (MovieLens 100K)".to_owned()],
        });
    }
    check_min_rating(&data_path, options, true)?;
    let mut log = IssueLog::new(options.strict);
    let mut report = ImportReport::default();
    report.files.push(data_path.clone());
    let mut catalog = Catalog::new();

    let item_path = dir.join("u.item");
    let has_item_file = item_path.is_file();
    if has_item_file {
        let genre_path = dir.join("u.genre");
        let genres = if genre_path.is_file() {
            report.files.push(genre_path.clone());
            read_genres(&genre_path)?
        } else {
            ML100K_GENRES.iter().map(|g| (*g).to_owned()).collect()
        };
        read_100k_items(&item_path, &genres, &mut catalog, &mut log)?;
        report.files.push(item_path);
    }
    let user_path = dir.join("u.user");
    if user_path.is_file() {
        read_100k_users(&user_path, &mut catalog, &mut log)?;
        report.files.push(user_path);
    }

    let mut records = Records::open(&data_path, b'\t', false)?;
    let columns = InteractionColumns {
        width: 4,
        user: (0, "user_id".to_owned()),
        item: (1, "item_id".to_owned()),
        rating: Some((2, "rating".to_owned())),
        timestamp: Some((3, "timestamp".to_owned())),
    };
    let mut collector = InteractionCollector::new(
        &data_path,
        has_item_file.then(|| catalog.item_ids()),
        true,
        true,
    );
    collect_interactions(
        &data_path,
        &mut records,
        &columns,
        &mut collector,
        &mut log,
        "u.item",
    )?;
    if collector.rows == 0 {
        return Err(ImportError::unusable(&data_path, "file is empty"));
    }
    let dataset = collector.finish(catalog, options, &log, &mut report)?;
    report.skipped = log.skipped;
    report.issues = log.issues;
    Ok((dataset, report))
}

/// Reads `u.genre`: `name|index` lines whose indices must be exactly `0..n`.
fn read_genres(path: &Path) -> Result<Vec<String>, ImportError> {
    let mut records = Records::open(path, b'|', false)?;
    let mut indexed: Vec<(usize, String)> = Vec::new();
    while let Some(line) = records.next_record()? {
        let record = &records.record;
        let name = utf8_field(record, 0, "genre").ok();
        let index = utf8_field(record, 1, "index")
            .ok()
            .and_then(|i| i.parse::<usize>().ok());
        match (record.len(), name, index) {
            (2, Some(name), Some(index)) if !name.is_empty() => {
                indexed.push((index, name.to_owned()))
            }
            _ => {
                return Err(ImportError::unusable(
                    path,
                    format!("line {line}: expected \"genre name|index\""),
                ))
            }
        }
    }
    indexed.sort();
    if indexed.is_empty() || indexed.iter().enumerate().any(|(i, (idx, _))| i != *idx) {
        return Err(ImportError::unusable(
            path,
            "genre indices must be 0, 1, 2, ... without gaps or repeats",
        ));
    }
    Ok(indexed.into_iter().map(|(_, name)| name).collect())
}

/// A `u.item` field: the file is Latin-1 by definition (Windows-1252 is its superset that
/// WHATWG decoders use for "latin1"), so every byte sequence decodes.
fn latin1_field(record: &ByteRecord, index: usize) -> String {
    let raw = record.get(index).unwrap_or_default();
    encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(raw)
        .0
        .trim()
        .to_owned()
}

fn parse_100k_item(record: &ByteRecord, genres: &[String]) -> Result<Item, String> {
    check_width(record, 5 + genres.len())?;
    let id = latin1_field(record, 0);
    if id.is_empty() {
        return Err("empty movie id in column 1".to_owned());
    }
    let (title, mut year) = split_title_year(&latin1_field(record, 1));
    if year.is_none() {
        // The release date reads "01-Jan-1995"; it rescues titles without "(year)".
        let release = latin1_field(record, 2);
        year = release
            .rsplit('-')
            .next()
            .and_then(|y| y.parse::<i32>().ok());
    }
    let mut categories = Vec::new();
    for (g, genre) in genres.iter().enumerate() {
        match record.get(5 + g).map(|f| f.trim_ascii()) {
            Some(b"1") => categories.push(genre.clone()),
            Some(b"0") => {}
            other => {
                return Err(format!(
                    "expected 0 or 1 in genre column \"{genre}\", found \"{}\"",
                    shorten(&String::from_utf8_lossy(other.unwrap_or_default()))
                ))
            }
        }
    }
    Ok(Item {
        title: if title.is_empty() { id.clone() } else { title },
        id,
        year,
        categories,
        text: String::new(),
    })
}

fn read_100k_items(
    path: &Path,
    genres: &[String],
    catalog: &mut Catalog,
    log: &mut IssueLog,
) -> Result<(), ImportError> {
    let mut records = Records::open(path, b'|', false)?;
    let mut defined = FirstDefinitions::default();
    let mut rows = 0;
    while let Some(line) = records.next_record()? {
        rows += 1;
        let parsed = parse_100k_item(&records.record, genres)
            .and_then(|item| defined.claim("movie", &item.id, line).map(|()| item));
        match parsed {
            Ok(item) => {
                catalog.upsert_item(item);
            }
            Err(message) => log.skip(path, line, message)?,
        }
    }
    if rows == 0 {
        return Err(ImportError::unusable(path, "file is empty"));
    }
    if catalog.n_items() == 0 {
        return Err(log.no_valid_rows(path, "movie", rows));
    }
    Ok(())
}

fn parse_100k_user(record: &ByteRecord) -> Result<User, String> {
    check_width(record, 1 + ML100K_USER_ATTRIBUTES.len())?;
    let id = utf8_field(record, 0, "user_id")?;
    if id.is_empty() {
        return Err("empty user id in column 1".to_owned());
    }
    let mut attributes = BTreeMap::new();
    for (a, name) in ML100K_USER_ATTRIBUTES.iter().enumerate() {
        let value = utf8_field(record, a + 1, name)?;
        if !value.is_empty() {
            attributes.insert((*name).to_owned(), value.to_owned());
        }
    }
    Ok(User {
        id: id.to_owned(),
        attributes,
    })
}

fn read_100k_users(
    path: &Path,
    catalog: &mut Catalog,
    log: &mut IssueLog,
) -> Result<(), ImportError> {
    let mut records = Records::open(path, b'|', false)?;
    let mut defined = FirstDefinitions::default();
    let mut rows = 0;
    while let Some(line) = records.next_record()? {
        rows += 1;
        let parsed = parse_100k_user(&records.record)
            .and_then(|user| defined.claim("user", &user.id, line).map(|()| user));
        match parsed {
            Ok(user) => {
                catalog.upsert_user(user);
            }
            Err(message) => log.skip(path, line, message)?,
        }
    }
    if rows == 0 {
        return Err(ImportError::unusable(path, "file is empty"));
    }
    if catalog.n_users() == 0 {
        return Err(log.no_valid_rows(path, "user", rows));
    }
    Ok(())
}

/// Loads the MovieLens CSV files in `dir`: `ratings.csv` (required), `movies.csv`,
/// `tags.csv`.
pub fn load_movielens_latest(
    dir: &Path,
    options: &ImportOptions,
) -> Result<(Dataset, ImportReport), ImportError> {
    let ratings_path = dir.join("ratings.csv");
    if !ratings_path.is_file() {
        return Err(ImportError::NotRecognized {
            path: dir.to_path_buf(),
            looked_for: vec!["ratings.csv (MovieLens latest)".to_owned()],
        });
    }
    check_min_rating(&ratings_path, options, true)?;
    let mut log = IssueLog::new(options.strict);
    let mut report = ImportReport::default();
    report.files.push(ratings_path.clone());
    let mut catalog = Catalog::new();
    let movies_path = dir.join("movies.csv");
    let has_movies = movies_path.is_file();
    if has_movies {
        read_movies(&movies_path, &mut catalog, &mut log)?;
        report.files.push(movies_path);
    }

    let mut records = Records::open(&ratings_path, b',', true)?;
    let header = records.header()?;
    let mapping = ColumnMapping {
        user: "userId".to_owned(),
        item: "movieId".to_owned(),
        rating: Some("rating".to_owned()),
        timestamp: Some("timestamp".to_owned()),
    };
    let columns = InteractionColumns::locate_mapping(&ratings_path, &header, &mapping, true)?;
    let mut collector = InteractionCollector::new(
        &ratings_path,
        has_movies.then(|| catalog.item_ids()),
        true,
        true,
    );
    collect_interactions(
        &ratings_path,
        &mut records,
        &columns,
        &mut collector,
        &mut log,
        "movies.csv",
    )?;
    let mut dataset = collector.finish(catalog, options, &log, &mut report)?;

    let tags_path = dir.join("tags.csv");
    if tags_path.is_file() {
        read_tags(&tags_path, &mut dataset, &mut log)?;
        report.files.push(tags_path);
    }
    report.skipped = log.skipped;
    report.issues = log.issues;
    Ok((dataset, report))
}

/// Column positions of `names` in `header`, or an error naming the first missing one.
fn require_columns<const N: usize>(
    path: &Path,
    header: &[String],
    names: [&str; N],
) -> Result<[usize; N], ImportError> {
    let mut positions = [0; N];
    for (slot, name) in positions.iter_mut().zip(names) {
        *slot = header.iter().position(|h| h == name).ok_or_else(|| {
            ImportError::unusable(path, format!("missing column \"{name}\" in the header"))
        })?;
    }
    Ok(positions)
}

fn parse_movie(record: &ByteRecord, width: usize, columns: [usize; 3]) -> Result<Item, String> {
    let [id_col, title_col, genres_col] = columns;
    check_width(record, width)?;
    let id = utf8_field(record, id_col, "movieId")?;
    if id.is_empty() {
        return Err("empty movie id in column \"movieId\"".to_owned());
    }
    let (title, year) = split_title_year(utf8_field(record, title_col, "title")?);
    let mut categories: Vec<String> = Vec::new();
    let genres = utf8_field(record, genres_col, "genres")?;
    if genres != NO_GENRES {
        for genre in genres.split('|').map(str::trim).filter(|g| !g.is_empty()) {
            if !categories.iter().any(|c| c == genre) {
                categories.push(genre.to_owned());
            }
        }
    }
    Ok(Item {
        id: id.to_owned(),
        title: if title.is_empty() {
            id.to_owned()
        } else {
            title
        },
        year,
        categories,
        text: String::new(),
    })
}

fn read_movies(path: &Path, catalog: &mut Catalog, log: &mut IssueLog) -> Result<(), ImportError> {
    let mut records = Records::open(path, b',', true)?;
    let header = records.header()?;
    let columns = require_columns(path, &header, ["movieId", "title", "genres"])?;
    let mut defined = FirstDefinitions::default();
    let mut rows = 0;
    while let Some(line) = records.next_record()? {
        rows += 1;
        let parsed = parse_movie(&records.record, header.len(), columns)
            .and_then(|item| defined.claim("movie", &item.id, line).map(|()| item));
        match parsed {
            Ok(item) => {
                catalog.upsert_item(item);
            }
            Err(message) => log.skip(path, line, message)?,
        }
    }
    if catalog.n_items() == 0 {
        return Err(log.no_valid_rows(path, "movie", rows));
    }
    Ok(())
}

/// Adds the distinct tags of `tags.csv` (case-insensitively, first spelling kept) to the
/// text of the items they name.
fn read_tags(path: &Path, dataset: &mut Dataset, log: &mut IssueLog) -> Result<(), ImportError> {
    let mut records = Records::open(path, b',', true)?;
    let header = records.header()?;
    let [item_col, tag_col] = require_columns(path, &header, ["movieId", "tag"])?;
    let mut tags: Vec<Vec<String>> = vec![Vec::new(); dataset.n_items()];
    let mut seen: HashSet<(u32, String)> = HashSet::new();
    let mut rows = 0;
    while let Some(line) = records.next_record()? {
        rows += 1;
        let record = &records.record;
        let parsed = check_width(record, header.len())
            .and_then(|()| {
                let item = utf8_field(record, item_col, "movieId")?;
                let tag = utf8_field(record, tag_col, "tag")?;
                Ok((item, tag))
            })
            .and_then(|(item, tag)| match dataset.catalog.item_index(item) {
                Some(idx) => Ok((idx, tag)),
                None => Err(format!(
                    "movie \"{}\" is neither in movies.csv nor rated",
                    shorten(item)
                )),
            });
        match parsed {
            Ok((_, "")) => {}
            Ok((idx, tag)) => {
                if seen.insert((idx, tag.to_lowercase())) {
                    tags[idx as usize].push(tag.to_owned());
                }
            }
            Err(message) => log.skip(path, line, message)?,
        }
    }
    if rows == 0 {
        return Err(ImportError::unusable(path, "no data rows after the header"));
    }
    for (idx, item_tags) in tags.into_iter().enumerate() {
        if item_tags.is_empty() {
            continue;
        }
        let mut item = dataset.catalog.item(idx as u32).clone();
        let tag_text = format!("tags: {}", item_tags.join(", "));
        item.text = if item.text.is_empty() {
            tag_text
        } else {
            format!("{}; {tag_text}", item.text)
        };
        dataset.catalog.upsert_item(item);
    }
    Ok(())
}
