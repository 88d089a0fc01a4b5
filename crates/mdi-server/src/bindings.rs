//! The TypeScript types of the JSON API, generated from the Rust types with `ts-rs` into ONE
//! file, `web/src/generated/api.ts`, which the web client imports.
//!
//! The test `generated_ts_is_current` renders the file and compares it with the checked-in
//! one; `MDI_UPDATE_TS=1 cargo test -p mdi-server generated_ts` writes it.

use std::any::TypeId;

use ts_rs::{Config, Dependency, TS};

use crate::api::{
    AreaRef, AreaResponse, BreaksResponse, DomainInfo, DomainOut, LevelInfo, MetaResponse,
    ParentOut, PointResponse, ProfileInfo, PropertySet, ScoreOut, SearchResponse, SearchResult,
    SeriesBreak, WeightOut, WithinRank, YearInfo, YearOut, ZoomBand,
};
use crate::error::{ErrorBody, ErrorDetail};
use crate::search::MatchKind;

/// The file, relative to the workspace root.
pub const PATH: &str = "web/src/generated/api.ts";

/// The first lines of the file.
const HEADER: &str = "\
// GENERATED from the Rust types of crates/mdi-server (ts-rs): do not edit.
// Regenerate with: MDI_UPDATE_TS=1 cargo test -p mdi-server generated_ts
// The JSON API is documented in docs/API.md.
";

/// One declaration of the file: its TypeScript name, the declaration, and its dependencies.
struct Decl {
    type_id: TypeId,
    text: String,
    dependencies: Vec<Dependency>,
}

/// The declaration of `T`: its doc comment, `export`, and `type T = …;`.
fn decl<T: TS + 'static>(cfg: &Config) -> Decl {
    let mut text = T::docs().unwrap_or_default();
    text.push_str("export ");
    text.push_str(&T::decl(cfg));
    Decl {
        type_id: TypeId::of::<T>(),
        text,
        dependencies: T::dependencies(cfg),
    }
}

/// Every type of the file, responses first, then the types they hold.
fn declarations(cfg: &Config) -> Vec<Decl> {
    vec![
        decl::<MetaResponse>(cfg),
        decl::<AreaResponse>(cfg),
        decl::<SearchResponse>(cfg),
        decl::<PointResponse>(cfg),
        decl::<BreaksResponse>(cfg),
        decl::<ErrorBody>(cfg),
        decl::<DomainInfo>(cfg),
        decl::<LevelInfo>(cfg),
        decl::<ZoomBand>(cfg),
        decl::<PropertySet>(cfg),
        decl::<ProfileInfo>(cfg),
        decl::<YearInfo>(cfg),
        decl::<SeriesBreak>(cfg),
        decl::<AreaRef>(cfg),
        decl::<YearOut>(cfg),
        decl::<ScoreOut>(cfg),
        decl::<DomainOut>(cfg),
        decl::<WithinRank>(cfg),
        decl::<ParentOut>(cfg),
        decl::<SearchResult>(cfg),
        decl::<MatchKind>(cfg),
        decl::<WeightOut>(cfg),
        decl::<ErrorDetail>(cfg),
    ]
}

/// The text of `web/src/generated/api.ts`.
///
/// # Panics
/// When a declared type refers to a type that is not declared in the file (a new nested type
/// must be added to the list here).
pub fn typescript() -> String {
    let cfg = Config::new();
    let decls = declarations(&cfg);
    let declared: Vec<TypeId> = decls.iter().map(|d| d.type_id).collect();
    let mut out = String::from(HEADER);
    for d in &decls {
        for dep in &d.dependencies {
            assert!(
                declared.contains(&dep.type_id),
                "{PATH}: `{}` is used but not declared; add it to mdi_server::bindings",
                dep.ts_name
            );
        }
        out.push('\n');
        // ts-rs leaves a space at the end of some lines.
        for line in d.text.lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// `web/src/generated/api.ts` of this workspace.
    fn file() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(PATH)
    }

    #[test]
    fn generated_ts_is_current() {
        let fresh = typescript();
        let path = file();
        if std::env::var_os("MDI_UPDATE_TS").is_some_and(|v| v == "1") {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &fresh).unwrap();
            return;
        }
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            current == fresh,
            "{PATH} is not what the Rust types of mdi-server generate; regenerate it with \
             `MDI_UPDATE_TS=1 cargo test -p mdi-server generated_ts` and commit it"
        );
    }

    #[test]
    fn generated_ts_types_nullable_numbers_and_ids_as_numbers() {
        let ts = typescript();
        // Option<u32> is `number | null`; u64 feature ids are numbers, not bigints.
        assert!(ts.contains("rank: number | null"), "{ts}");
        assert!(!ts.contains("bigint"), "{ts}");
        assert!(
            ts.contains("export type MatchKind = \"code\" | \"codeprefix\""),
            "{ts}"
        );
        // Flattened area references carry their fields.
        let area = ts.split("export type AreaResponse").nth(1).unwrap();
        let area = area.split("};").next().unwrap();
        assert!(
            area.contains("code: string") && area.contains("level_name: string"),
            "{area}"
        );
    }
}
