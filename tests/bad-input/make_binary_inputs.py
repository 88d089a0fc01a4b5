"""Writes the binary inputs of the bad-input suite (GeoPackages) from nothing but this script.

Run from the repository root: python3 tests/bad-input/make_binary_inputs.py
The files it writes are committed; the suite never runs it. Everything here is made by this
project: two hand-written squares in WGS84 near 5.0 E, 52.0 N.
"""

import sqlite3
import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent


def gpkg_blob(rings, srs_id=4326):
    """A GeoPackage geometry blob (no envelope) holding a little-endian WKB Polygon."""
    wkb = struct.pack("<BII", 1, 3, len(rings))
    for ring in rings:
        wkb += struct.pack("<I", len(ring))
        for x, y in ring:
            wkb += struct.pack("<dd", x, y)
    return b"GP" + bytes([0, 0b0000_0001]) + struct.pack("<i", srs_id) + wkb


def square(x, y, d=0.01):
    return [[(x, y), (x + d, y), (x + d, y + d), (x, y + d), (x, y)]]


def write_gpkg(path, column="buurtcode"):
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    con.executescript(
        f"""
        PRAGMA application_id = 1196444487;
        PRAGMA user_version = 10200;
        CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
            organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
            definition TEXT NOT NULL, description TEXT);
        INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84', 4326, 'EPSG', 4326, 'GEOGCS["WGS 84"]', NULL);
        CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
            identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME,
            min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER);
        CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
            geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL,
            m TINYINT NOT NULL, PRIMARY KEY (table_name, column_name));
        CREATE TABLE buurten (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POLYGON, {column} TEXT);
        INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id)
            VALUES ('buurten', 'features', 'buurten', 4326);
        INSERT INTO gpkg_geometry_columns VALUES ('buurten', 'geom', 'POLYGON', 4326, 0, 0);
        """
    )
    for i, code in enumerate(["BU99010000", "BU99010001"]):
        con.execute(
            f"INSERT INTO buurten (geom, {column}) VALUES (?, ?)",
            (gpkg_blob(square(5.0 + 0.01 * i, 52.0)), code),
        )
    con.commit()
    return con


def main():
    write_gpkg(HERE / "gpkg-truncated" / "full.gpkg").close()
    full = (HERE / "gpkg-truncated" / "full.gpkg").read_bytes()
    (HERE / "gpkg-truncated" / "full.gpkg").unlink()
    (HERE / "gpkg-truncated" / "areas.gpkg").write_bytes(full[: len(full) // 3])
    (HERE / "gpkg-empty" / "areas.gpkg").write_bytes(b"")
    # A column name with one invalid UTF-8 byte (0xFF in place of the `c` of `buurtcode`),
    # written into the schema directly: SQL text cannot spell it.
    con = write_gpkg(HERE / "gpkg-column-name-invalid-utf8" / "areas.gpkg", "buurtcodx")
    con.execute("PRAGMA writable_schema = ON")
    con.execute(
        "UPDATE sqlite_master SET sql = CAST(replace(CAST(sql AS BLOB), CAST('buurtcodx' AS BLOB),"
        " CAST('buurt' AS BLOB) || x'ff' || CAST('ode' AS BLOB)) AS TEXT) WHERE name = 'buurten'"
    )
    con.commit()
    con.close()


if __name__ == "__main__":
    main()
