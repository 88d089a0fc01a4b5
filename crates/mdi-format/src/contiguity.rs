//! `contiguity.gal`: the queen contiguity of the index unit's areas with a polygon, in PySAL's
//! GAL format (as `libpysal.io` reads it). The first line is `0 <n> <layer> code` (n areas, the
//! layer of the index unit, the key field); then per area a line `<code> <k>` and a line with
//! its k neighbours' codes, separated by spaces (an empty line for an island, k = 0). Areas are
//! in code order, neighbours in code order. Two areas are neighbours when their polygons share
//! at least one vertex (in the WGS84 coordinates of `areas.fgb`).

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Result, invalid, io};

/// Queen contiguity: the codes of the areas and the neighbours of each, as indices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contiguity {
    /// The layer of the index unit (`buurten`).
    pub layer: String,
    /// The area codes.
    pub codes: Vec<String>,
    /// Per area (in `codes` order), the indices of its neighbours, ascending; symmetric.
    pub neighbours: Vec<Vec<u32>>,
}

impl Contiguity {
    /// The areas without a neighbour (k = 0), by code.
    pub fn islands(&self) -> Vec<&str> {
        self.codes
            .iter()
            .zip(&self.neighbours)
            .filter(|(_, n)| n.is_empty())
            .map(|(c, _)| c.as_str())
            .collect()
    }

    /// The GAL text.
    pub fn to_gal(&self) -> String {
        let mut out = format!("0 {} {} code\n", self.codes.len(), self.layer);
        for (code, ns) in self.codes.iter().zip(&self.neighbours) {
            out.push_str(&format!("{code} {}\n", ns.len()));
            let line: Vec<&str> = ns
                .iter()
                .filter_map(|&j| self.codes.get(j as usize).map(String::as_str))
                .collect();
            out.push_str(&line.join(" "));
            out.push('\n');
        }
        out
    }

    /// Writes `contiguity.gal` into the atlas directory `dir`.
    ///
    /// # Errors
    /// [`crate::FormatError::Io`] when it cannot be written.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(crate::files::CONTIGUITY);
        std::fs::write(&path, self.to_gal()).map_err(io(&path, "cannot write"))
    }

    /// Reads `contiguity.gal` of the atlas directory `dir`.
    ///
    /// # Errors
    /// [`crate::FormatError::Io`] when it cannot be read, [`crate::FormatError::Invalid`] as
    /// [`Contiguity::parse`].
    pub fn read(dir: &Path) -> Result<Contiguity> {
        let path = dir.join(crate::files::CONTIGUITY);
        let text = std::fs::read_to_string(&path).map_err(io(&path, "cannot read"))?;
        Contiguity::parse(&path, &text)
    }

    /// Parses GAL text (`path` names it in errors). The header may be `0 n layer key` or
    /// just `n`; neighbours are sorted.
    ///
    /// # Errors
    /// [`crate::FormatError::Invalid`], naming the line, when a count is not a number, there
    /// are fewer lines or neighbours than the counts say, a code is given twice, a neighbour
    /// is not an area of the file, or the relation is not symmetric.
    pub fn parse(path: &Path, text: &str) -> Result<Contiguity> {
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim()));
        let (_, header) = lines
            .next()
            .ok_or_else(|| invalid(path, "empty: expected a header line `0 <n> <layer> code`"))?;
        let head: Vec<&str> = header.split_whitespace().collect();
        let (n_text, layer) = match head.as_slice() {
            [n] => (*n, String::new()),
            [_, n, layer, ..] => (*n, (*layer).to_string()),
            _ => {
                return Err(invalid(
                    path,
                    format!("line 1 is `{header}`: expected `0 <n> <layer> code`"),
                ));
            }
        };
        let n: usize = n_text.parse().map_err(|_| {
            invalid(
                path,
                format!("line 1: the number of areas `{n_text}` is not a number"),
            )
        })?;
        let mut codes = Vec::with_capacity(n);
        let mut named: Vec<(usize, Vec<String>)> = Vec::with_capacity(n);
        for _ in 0..n {
            let (line, area) = lines.next().ok_or_else(|| {
                invalid(path, format!("expected {n} areas, found {}", codes.len()))
            })?;
            let mut parts = area.split_whitespace();
            let (Some(code), Some(k), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(invalid(
                    path,
                    format!("line {line} is `{area}`: expected `<code> <k>`"),
                ));
            };
            let k: usize = k.parse().map_err(|_| {
                invalid(
                    path,
                    format!("line {line}: the neighbour count `{k}` is not a number"),
                )
            })?;
            let (nline, list) = lines.next().unwrap_or((line + 1, ""));
            let list: Vec<String> = list.split_whitespace().map(str::to_string).collect();
            if list.len() != k {
                return Err(invalid(
                    path,
                    format!(
                        "line {nline}: {} neighbours of {code}, its line {line} says {k}",
                        list.len()
                    ),
                ));
            }
            codes.push(code.to_string());
            named.push((nline, list));
        }
        let index: BTreeMap<&str, u32> = codes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        if index.len() != codes.len() {
            return Err(invalid(path, "an area code is given twice"));
        }
        let mut neighbours = Vec::with_capacity(n);
        for (i, (nline, list)) in named.iter().enumerate() {
            let mut ns = list
                .iter()
                .map(|c| {
                    index.get(c.as_str()).copied().ok_or_else(|| {
                        invalid(
                            path,
                            format!(
                                "line {nline}: neighbour {c} of {} is not an area of the file",
                                codes[i]
                            ),
                        )
                    })
                })
                .collect::<Result<Vec<u32>>>()?;
            ns.sort_unstable();
            ns.dedup();
            neighbours.push(ns);
        }
        for (i, ns) in neighbours.iter().enumerate() {
            if let Some(&j) = ns
                .iter()
                .find(|&&j| neighbours[j as usize].binary_search(&(i as u32)).is_err())
            {
                return Err(invalid(
                    path,
                    format!(
                        "{} lists {} as a neighbour, but not the other way round",
                        codes[i], codes[j as usize]
                    ),
                ));
            }
        }
        Ok(Contiguity {
            layer,
            codes,
            neighbours,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gal_reads_back_as_written_and_islands_have_an_empty_line() {
        let c = Contiguity {
            layer: "buurten".into(),
            codes: vec!["BU1".into(), "BU2".into(), "BU3".into()],
            neighbours: vec![vec![1], vec![0], vec![]],
        };
        let text = c.to_gal();
        assert_eq!(text, "0 3 buurten code\nBU1 1\nBU2\nBU2 1\nBU1\nBU3 0\n\n");
        assert_eq!(Contiguity::parse(Path::new("c.gal"), &text).unwrap(), c);
        assert_eq!(c.islands(), ["BU3"]);
    }

    #[test]
    fn asymmetric_or_unknown_neighbours_are_refused() {
        let e = Contiguity::parse(Path::new("c.gal"), "0 2 b code\nA 1\nB\nB 0\n\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("c.gal") && e.contains("not the other way round"),
            "{e}"
        );
        let e = Contiguity::parse(Path::new("c.gal"), "0 1 b code\nA 1\nZ\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3") && e.contains("Z"), "{e}");
        let e = Contiguity::parse(Path::new("c.gal"), "0 1 b code\nA 2\nB\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("says 2"), "{e}");
    }
}
