"""What a first page of the map search reads on the demo data: Queries, index entries, waves, results.

    .venv/bin/python -m bench.search_cost [radius_m ...]      (default: 2000)

Seeds the same demo data as `make run` (2,400 listings around Shanghai's district centres) into
in-process moto and runs the real search (services.search.search) from every district centre, with and
without a category. moto's Query scans its whole table, so this counts what the search reads; it does not
time moto. `make bench` measures the same at 200,000 listings.
"""
from __future__ import annotations

import os
import statistics
import sys
import uuid
from dataclasses import replace

import boto3

os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
                  AWS_REGION="us-east-1", PRIVILEGED_QUOTA="100")
for _name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
    del os.environ[_name]


def main(radii: list[int]) -> None:
    from moto import mock_aws

    from chalicelib.domain.identity import Caller
    from chalicelib.services import search
    from scripts import demo_data, provision
    from scripts.synthetic_listings import DISTRICT_CENTRES

    with mock_aws():
        stack = provision.deploy(boto3.Session(region_name="us-east-1"), "bench")
        os.environ.update(stack.environment())
        providers = [replace(p, user_id=str(uuid.uuid4())) for p in demo_data.demo_providers(400)]
        demo_data.seed(listings=2400, providers=providers)
        caller = Caller(user_id="bench")
        print("| radius | category | centres | Queries (median / max) | index entries read (median / max) "
              "| waves (max) | results (median) |")
        print("|---|---|---|---|---|---|---|")
        for radius in radii:
            for category in (None, "repair"):
                scans = []
                for _name, lat, lon, _w, _s in DISTRICT_CENTRES:
                    query = search.SearchQuery(lat, lon, radius, category, None, 20, None)
                    scans.append(search.search_scan(caller, query)[1])
                print(f"| {radius} m | {category or 'any'} | {len(scans)} "
                      f"| {statistics.median(s.queries for s in scans):.0f} / {max(s.queries for s in scans)} "
                      f"| {statistics.median(s.entries for s in scans):.0f} / {max(s.entries for s in scans)} "
                      f"| {max(s.waves for s in scans)} | {statistics.median(len(s.found) for s in scans):.0f} |")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [2000])
