//! The TypeScript types of the report (`/api/report`), generated with ts-rs into
//! `web/src/generated/report.ts`. The test `generated_report_ts_is_current` compares the file
//! with what the Rust types give; `MDI_UPDATE_TS=1 cargo test -p mdi-server generated_report_ts`
//! writes it.

use std::any::TypeId;

use ts_rs::{Config, Dependency, TS};

use super::model::{
    AreaChange, Clusters, Comparator, CorrelationOut, District, DistrictRanks, Divergence,
    GemeenteDivergence, PersistenceOut, Report, ReportArea, ReportAtlas, TransitionsOut, Trend,
};

/// The file, relative to the workspace root.
pub const PATH: &str = "web/src/generated/report.ts";

/// The first lines of the file.
const HEADER: &str = "\
// GENERATED from the Rust types of crates/mdi-server/src/report (ts-rs): do not edit.
// Regenerate with: MDI_UPDATE_TS=1 cargo test -p mdi-server generated_report_ts
// The report is documented in docs/REPORT.md.
";

/// One declaration: its type, text and dependencies.
struct Decl {
    type_id: TypeId,
    text: String,
    dependencies: Vec<Dependency>,
}

/// The declaration of `T`.
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

/// The text of `web/src/generated/report.ts`.
///
/// # Panics
/// When a type refers to one not declared in the file (add it to the list here).
pub fn typescript() -> String {
    let cfg = Config::new();
    let decls = vec![
        decl::<Report>(&cfg),
        decl::<ReportAtlas>(&cfg),
        decl::<ReportArea>(&cfg),
        decl::<District>(&cfg),
        decl::<DistrictRanks>(&cfg),
        decl::<Trend>(&cfg),
        decl::<PersistenceOut>(&cfg),
        decl::<TransitionsOut>(&cfg),
        decl::<AreaChange>(&cfg),
        decl::<Divergence>(&cfg),
        decl::<GemeenteDivergence>(&cfg),
        decl::<CorrelationOut>(&cfg),
        decl::<Comparator>(&cfg),
        decl::<Clusters>(&cfg),
    ];
    let declared: Vec<TypeId> = decls.iter().map(|d| d.type_id).collect();
    let mut out = String::from(HEADER);
    for d in &decls {
        for dep in &d.dependencies {
            assert!(
                declared.contains(&dep.type_id),
                "{PATH}: `{}` is used but not declared; add it to mdi_server::report::bindings",
                dep.ts_name
            );
        }
        out.push('\n');
        for line in d.text.lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn generated_report_ts_is_current() {
        let fresh = typescript();
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(PATH);
        if std::env::var_os("MDI_UPDATE_TS").is_some_and(|v| v == "1") {
            std::fs::write(&path, &fresh).unwrap();
            return;
        }
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            current == fresh,
            "{PATH} is not what the Rust types generate; regenerate it with \
             `MDI_UPDATE_TS=1 cargo test -p mdi-server generated_report_ts` and commit it"
        );
        // The chart points stay out of the JSON and the types.
        assert!(!fresh.contains("points"), "{fresh}");
        assert!(fresh.contains("moran_i: number | null"), "{fresh}");
    }
}
