#!/usr/bin/env python3
"""Write voorbeeld-buurten.csv: a small, fictional table in CBS conventions for the nl-cbs profile.

Twelve fictional buurten of the fictional gemeente "Voorbeeld" (GM9901) in 2023 and 2024, with
every column of geodata/profiles/nl-cbs.toml under its KWB short code. It is written like a CBS
export: a UTF-8 byte-order mark, `;` as separator, decimal commas, `.` (with spaces) for a
suppressed cell, and a gemeente row that the profile skips. Industrieterrein De Vaart has 45
inhabitants (below the profile's minimum of 100); Zuiderhof has no Leefbaarometer data, so its
woonomgeving domain is missing and its weight is re-spread. The poverty share is p_hh_osm in 2023
and p_ink_ar in 2024 (the KWB 2024 series break). Deterministic: no randomness.
"""
import pathlib

COLS = ["buurtcode", "buurtnaam", "jaar", "a_inw", "a_15_24", "a_25_44", "a_45_64", "a_65_oo",
        "p_hh_li", "p_hh_osm", "p_ink_ar", "a_soz_wb", "g_ink_pi", "a_soz_ww", "a_soz_ao", "p_arb_pp", "a_opl_lg",
        "rivm_goed_ervaren_gezondheid", "rivm_beperkt_gezondheid", "rivm_angst_depressie",
        "misdrijven_per_1000", "lbm_onv", "lbm_won", "g_afs_hp", "g_afs_gs", "g_afs_sc", "lbm_fys"]
NAMES = ["Centrum", "Stationskwartier", "Oude Haven", "Molenwijk", "Parkzicht", "De Akkers",
         "Noorderveld", "Kerkbuurt", "Industrieterrein De Vaart", "Buitengebied Oost", "Zuiderhof",
         "Lindenlaan"]
COUNTS = {"a_inw", "a_15_24", "a_25_44", "a_45_64", "a_65_oo", "a_soz_wb", "a_soz_ww", "a_soz_ao",
          "a_opl_lg"}


def mix(i, k):
    """A fixed number in [0, 1) for buurt i and domain k (no randomness)."""
    return ((i * 37 + k * 17 + i * k * 5) % 23) / 23.0


def fmt(v, dec):
    return f"{v:.{dec}f}".replace(".", ",")


def main():
    rows = []
    for year in (2023, 2024):
        rows.append(["GM9901", "Voorbeeld (gemeente)", str(year)] + ["."] * (len(COLS) - 3))
        for i, name in enumerate(NAMES):
            base = (i * 7 % 12) / 11.0
            drift = 0.04 if year == 2024 and i % 3 == 0 else 0.0
            # Each domain follows the shared latent deprivation and a domain-specific part.
            d = [min(1.0, 0.6 * base + 0.4 * mix(i, k) + drift) for k in range(7)]
            pop = 45 if i == 8 else 800 + 300 * ((i * 5) % 7)
            p1524, p2544, p4564, p65 = (round(pop * f) for f in (0.13, 0.26, 0.27, 0.18))
            w = p1524 + p2544 + p4564
            far = 2.5 if i == 9 else 0.0
            vals = {
                "a_inw": pop, "a_15_24": p1524, "a_25_44": p2544, "a_45_64": p4564, "a_65_oo": p65,
                "p_hh_li": 6 + 16 * d[0], "a_soz_wb": w * (0.01 + 0.06 * d[0]),
                # The KWB 2024 series break: below the social minimum up to 2023, below
                # the poverty line from 2024 (another threshold).
                "p_hh_osm": 4 + 12 * d[0] if year < 2024 else None,
                "p_ink_ar": 3 + 9 * d[0] if year >= 2024 else None,
                "g_ink_pi": 36 - 14 * d[0],
                "a_soz_ww": w * (0.01 + 0.02 * d[1]), "a_soz_ao": w * (0.03 + 0.05 * d[1]),
                "p_arb_pp": 74 - 16 * d[1],
                "a_opl_lg": (pop - p1524 * 0.3) * (0.12 + 0.3 * d[2]),
                "rivm_goed_ervaren_gezondheid": 84 - 12 * d[3] - 5 * mix(i, 10),
                "rivm_beperkt_gezondheid": 18 + 10 * d[3] + 7 * mix(i, 8),
                "rivm_angst_depressie": 33 + 15 * d[3] + 9 * mix(i, 9),
                "misdrijven_per_1000": 18 + 70 * d[4], "lbm_onv": 0.1 - 0.22 * d[4],
                "lbm_won": 0.06 - 0.16 * d[5],
                "g_afs_hp": 0.7 + far + 0.4 * d[5], "g_afs_gs": 0.5 + far + 0.3 * d[5],
                "g_afs_sc": 0.4 + far * 0.8 + 0.2 * d[5],
                "lbm_fys": 0.05 - 0.14 * d[6],
            }
            cells = []
            for c in COLS[3:]:
                v = vals[c]
                if v is None:
                    cells.append("")
                elif c in COUNTS:
                    cells.append(str(int(round(v))))
                elif c.startswith("lbm_"):
                    cells.append(fmt(v, 3))
                else:
                    cells.append(fmt(v, 1))
            if i == 4:
                cells[COLS.index("p_hh_li") - 3] = "   ."  # suppressed by CBS
            if i == 10:
                for c in ("lbm_fys",):
                    cells[COLS.index(c) - 3] = ""  # no Leefbaarometer score
            rows.append([f"BU990100{i:02d}", name, str(year)] + cells)
    out = pathlib.Path(__file__).with_name("voorbeeld-buurten.csv")
    with out.open("w", encoding="utf-8", newline="\n") as f:
        f.write("\ufeff" + ";".join(COLS) + "\n")
        for r in rows:
            f.write(";".join(r) + "\n")


if __name__ == "__main__":
    main()
