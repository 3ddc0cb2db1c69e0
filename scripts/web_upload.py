"""The web client onto a deployed stage: web/'s files and its config.json into the stage's web bucket, then a
CloudFront invalidation so the next page load gets them.

`make deploy` calls `publish` once the app is deployed (scripts/deploy.py), with the infra stack's outputs
(WebBucket, WebDistributionId, UserPoolId, UserPoolClientId) and the URLs of the APIs chalice made. A stage
deployed from `make package`'s template has all of them in its one stack's outputs (EndpointURL and
WebsocketConnectEndpointURL the APIs'): `make web-upload STAGE=prod` (`main` below) publishes from those. What is
hosted: everything in web/ but its npm files (package.json, package-lock.json, node_modules/), plus the
Leaflet builds index.html loads from node_modules/ (scripts/local_web.py VENDOR), under the same paths.
Objects in the bucket that web/ no longer has are deleted, so the bucket is web/ as it is now.
"""
from __future__ import annotations

import argparse
import json
import mimetypes
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.local_web import VENDOR, WEB_ROOT
from scripts.stage_config import session, stack_name
from scripts.web_config import OSM_ATTRIBUTION, OSM_TILES, web_config

CONFIG_KEY = "config.json"
NPM_FILES = ("package.json", "package-lock.json")
# Types mimetypes may not know or may give otherwise on some systems; a module script needs a JavaScript type.
CONTENT_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".map": "application/json",
                 ".json": "application/json", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml"}
# Browsers revalidate every file (the names carry no version, so a deploy must be seen at once; a 304 is cheap);
# CloudFront keeps them a day (s-maxage), and each deploy invalidates its copies. config.json: never cached.
CACHE_CONTROL = "public, max-age=0, must-revalidate, s-maxage=86400"
CONFIG_CACHE_CONTROL = "no-cache, no-store, must-revalidate"


@dataclass(frozen=True)
class Published:
    keys: list[str]  # every object now in the bucket, config.json included
    deleted: list[str]  # objects of an earlier deploy that web/ no longer has
    invalidation_id: str


def content_type(path: Path) -> str:
    """The Content-Type a browser needs for the file (by its extension)."""
    known = CONTENT_TYPES.get(path.suffix.lower())
    return known or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def web_files(root: Path = WEB_ROOT) -> Iterator[tuple[str, Path]]:
    """(key, file) for every file to host, sorted by key: web/ without its npm files and without a config.json
    (the deploy writes the stage's own), and the vendored Leaflet builds. Hidden files are not hosted."""
    selected: dict[str, Path] = {}
    for path in root.rglob("*"):
        key = path.relative_to(root).as_posix()
        top = key.split("/", 1)[0]
        if not path.is_file() or top == "node_modules" or key in (*NPM_FILES, CONFIG_KEY):
            continue
        if any(part.startswith(".") for part in key.split("/")):
            continue
        selected[key] = path
    for vendored in VENDOR:
        if not (root / vendored).is_dir():
            raise SystemExit(f"web/{vendored} is missing: run `npm ci` in web/ (make deploy does)")
        for path in (root / vendored).rglob("*"):
            if path.is_file():
                selected[path.relative_to(root).as_posix()] = path
    yield from sorted(selected.items())


def stage_web_config(region: str, stage: str, outputs: dict[str, str], *, api_url: str, ws_url: str,
                     tile_url: str = OSM_TILES, tile_attribution: str = OSM_ATTRIBUTION) -> dict[str, Any]:
    """The stage's config.json: its APIs, and the Cognito pool and app client of its infra stack (`outputs`)."""
    return web_config(api_url=api_url, ws_url=ws_url, cognito_url=f"https://cognito-idp.{region}.amazonaws.com/",
                      region=region, user_pool_id=outputs["UserPoolId"], client_id=outputs["UserPoolClientId"],
                      stage=stage, tile_url=tile_url, tile_attribution=tile_attribution)


def publish(session: Any, stage: str, outputs: dict[str, str], *, api_url: str, ws_url: str,
            tile_url: str = OSM_TILES, tile_attribution: str = OSM_ATTRIBUTION, root: Path = WEB_ROOT) -> Published:
    """Upload web/ (`root`) and the stage's config.json (stage_web_config, in the session's region) into the
    stack's web bucket (outputs["WebBucket"]), delete what web/ no longer has, and invalidate every path of the
    stack's distribution (outputs["WebDistributionId"])."""
    config = stage_web_config(session.region_name, stage, outputs, api_url=api_url, ws_url=ws_url,
                              tile_url=tile_url, tile_attribution=tile_attribution)
    s3 = session.client("s3")
    bucket = outputs["WebBucket"]
    keys = []
    for key, path in web_files(root):
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=content_type(path),
                      CacheControl=CACHE_CONTROL)
        keys.append(key)
    s3.put_object(Bucket=bucket, Key=CONFIG_KEY, Body=json.dumps(config, indent=2).encode() + b"\n",
                  ContentType="application/json", CacheControl=CONFIG_CACHE_CONTROL)
    keys.append(CONFIG_KEY)
    stale = sorted(set(_keys(s3, bucket)) - set(keys))
    for start in range(0, len(stale), 1000):  # DeleteObjects takes up to 1,000 keys
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key} for key in stale[start:start + 1000]],
                                                 "Quiet": True})
    invalidation = session.client("cloudfront").create_invalidation(
        DistributionId=outputs["WebDistributionId"],
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": f"deploy-{time.time_ns()}"},
    )
    return Published(keys=sorted(keys), deleted=stale, invalidation_id=invalidation["Invalidation"]["Id"])


def _keys(s3: Any, bucket: str) -> Iterator[str]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            yield item["Key"]


def main(argv: list[str] | None = None) -> int:
    """Publish web/ to a stage deployed from `make package`'s template (its one stack has every output needed)."""
    parser = argparse.ArgumentParser(prog="python -m scripts.web_upload", description=main.__doc__)
    parser.add_argument("--stage", required=True, help="the stage whose stack everywhere-<stage> to publish to")
    parser.add_argument("--web", type=Path, default=WEB_ROOT, help="the web client's directory (default: web/)")
    arguments = parser.parse_args(argv)
    stage = arguments.stage
    aws = session()
    stack = aws.client("cloudformation").describe_stacks(StackName=stack_name(stage))["Stacks"][0]
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    if "EndpointURL" not in outputs:
        raise SystemExit(f"stack {stack_name(stage)} has no EndpointURL output: it is not from `make package` "
                         f"(a stage deployed by `make deploy STAGE={stage}` gets its web client from that)")
    published = publish(aws, stage, outputs, api_url=outputs["EndpointURL"],
                        ws_url=outputs["WebsocketConnectEndpointURL"].rstrip("/"),
                        tile_url=os.environ.get("WEB_TILE_URL", OSM_TILES),
                        tile_attribution=os.environ.get("WEB_TILE_ATTRIBUTION", OSM_ATTRIBUTION), root=arguments.web)
    print(f"{len(published.keys)} files in {outputs['WebBucket']} ({len(published.deleted)} old ones deleted), "
          f"CloudFront invalidation {published.invalidation_id}; the web client: {outputs['WebUrl']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
