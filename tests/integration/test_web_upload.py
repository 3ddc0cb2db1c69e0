"""`make deploy` puts the web client on its stage (scripts/web_upload.py): web/'s files with the types a browser
needs and the stage's config.json land in the bucket the infra stack created, what web/ no longer has leaves it,
and CloudFront is told to drop every cached path. In-process moto: its CloudFormation creates the bucket but not
the distribution (it skips CloudFront), so the test makes the distribution through moto's CloudFront API."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from scripts import infra_stack, provision, web_upload
from scripts.web_config import OSM_TILES
from tests.conftest import REGION

API_URL = "https://abc123.execute-api.us-east-1.amazonaws.com/api/"
WS_URL = "wss://ws4567.execute-api.us-east-1.amazonaws.com/api"
HOSTED = {  # key -> the Content-Type it must be served with
    "index.html": "text/html",
    "style.css": "text/css",
    "app/api.js": "text/javascript",
    "app/ui.js": "text/javascript",
    "node_modules/leaflet/dist/leaflet.js": "text/javascript",
    "node_modules/leaflet/dist/leaflet.js.map": "application/json",
    "node_modules/leaflet/dist/leaflet.css": "text/css",
    "node_modules/leaflet/dist/images/marker-icon.png": "image/png",
    "node_modules/leaflet.markercluster/dist/leaflet.markercluster.js": "text/javascript",
    "node_modules/leaflet.markercluster/dist/MarkerCluster.css": "text/css",
}
NOT_HOSTED = ("package.json", "package-lock.json", "node_modules/.installed-1234", "node_modules/leaflet/package.json",
              "node_modules/leaflet/src/Leaflet.js", "node_modules/left-pad/index.js", ".DS_Store")


@pytest.fixture
def web(tmp_path: Path) -> Path:
    """A web/ as `npm ci` leaves it, with a config.json of a local run in it."""
    root = tmp_path / "web"
    for key in [*HOSTED, *NOT_HOSTED, "config.json"]:
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"contents of {key}".encode())
    return root


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in ("AWS_ENDPOINT_URL", "MOTO_PORT"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield boto3.Session(region_name=REGION)


@pytest.fixture
def outputs(aws: Any) -> dict[str, str]:
    """The dev stack's outputs: its web bucket from the template, a distribution in front of it."""
    outputs = infra_stack.deploy_infra(aws.client("cloudformation"), "dev", provision.moto_template())
    bucket_domain = f"{outputs['WebBucket']}.s3.{REGION}.amazonaws.com"
    distribution = aws.client("cloudfront").create_distribution(DistributionConfig={
        "CallerReference": "everywhere-dev-web", "Comment": "", "Enabled": True, "DefaultRootObject": "index.html",
        "Origins": {"Quantity": 1, "Items": [{"Id": "web-bucket", "DomainName": bucket_domain,
                                               "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "web-bucket", "ViewerProtocolPolicy": "redirect-to-https"},
    })["Distribution"]
    return {**outputs, "WebDistributionId": distribution["Id"], "UserPoolId": f"{REGION}_Pool1",
            "UserPoolClientId": "client1"}  # (moto's CloudFormation skips the user pool too)


def _publish(aws: Any, outputs: dict[str, str], web: Path) -> web_upload.Published:
    return web_upload.publish(aws, "dev", outputs, api_url=API_URL, ws_url=WS_URL, root=web)


def _objects(aws: Any, bucket: str) -> dict[str, dict[str, Any]]:
    s3 = aws.client("s3")
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {key: s3.get_object(Bucket=bucket, Key=key) for key in keys}


def test_the_web_files_and_config_json_are_the_buckets_whole_content(aws, outputs, web):
    published = _publish(aws, outputs, web)
    objects = _objects(aws, outputs["WebBucket"])
    assert set(objects) == {*HOSTED, "config.json"} == set(published.keys)
    for key in HOSTED:
        assert objects[key]["Body"].read() == f"contents of {key}".encode(), key


def test_each_file_is_stored_with_the_content_type_a_browser_needs(aws, outputs, web):
    _publish(aws, outputs, web)
    objects = _objects(aws, outputs["WebBucket"])
    assert {key: objects[key]["ContentType"] for key in HOSTED} == HOSTED


def test_config_json_points_the_client_at_the_stages_apis_and_user_pool(aws, outputs, web):
    _publish(aws, outputs, web)
    config = _objects(aws, outputs["WebBucket"])["config.json"]
    assert config["ContentType"] == "application/json"
    assert json.loads(config["Body"].read()) == {
        "api_url": API_URL.rstrip("/"), "ws_url": WS_URL, "cognito_url": f"https://cognito-idp.{REGION}.amazonaws.com/",
        "region": REGION, "user_pool_id": f"{REGION}_Pool1", "client_id": "client1", "stage": "dev",
        "tile_url": OSM_TILES, "tile_attribution": web_upload.OSM_ATTRIBUTION,
    }


def test_browsers_revalidate_the_files_and_never_keep_config_json(aws, outputs, web):
    _publish(aws, outputs, web)
    objects = _objects(aws, outputs["WebBucket"])
    assert "no-store" in objects["config.json"]["CacheControl"]
    assert {objects[key]["CacheControl"] for key in HOSTED} == {web_upload.CACHE_CONTROL}
    assert "max-age=0" in web_upload.CACHE_CONTROL


def test_a_file_removed_from_web_leaves_the_bucket_at_the_next_deploy(aws, outputs, web):
    _publish(aws, outputs, web)
    (web / "app" / "ui.js").unlink()

    published = _publish(aws, outputs, web)

    assert published.deleted == ["app/ui.js"]
    assert set(_objects(aws, outputs["WebBucket"])) == {*HOSTED, "config.json"} - {"app/ui.js"}


def test_each_deploy_invalidates_every_path_of_the_stages_distribution(aws, outputs, web):
    first, second = _publish(aws, outputs, web), _publish(aws, outputs, web)
    cloudfront = aws.client("cloudfront")
    listed = cloudfront.list_invalidations(DistributionId=outputs["WebDistributionId"])["InvalidationList"]
    assert {item["Id"] for item in listed["Items"]} == {first.invalidation_id, second.invalidation_id}
    invalidation = cloudfront.get_invalidation(DistributionId=outputs["WebDistributionId"], Id=second.invalidation_id)
    assert invalidation["Invalidation"]["InvalidationBatch"]["Paths"]["Items"] == ["/*"]


def test_without_npm_ci_nothing_is_uploaded_and_the_error_says_how_to_fix_it(aws, outputs, web):
    for path in sorted((web / "node_modules" / "leaflet.markercluster").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()

    with pytest.raises(SystemExit, match="npm ci"):
        _publish(aws, outputs, web)

    assert _objects(aws, outputs["WebBucket"]) == {}


def _packaged_stack(aws: Any, stage: str, outputs: dict[str, str]) -> None:
    """A stack with the outputs of `make package`'s template, as literal values (moto cannot deploy that template)."""
    template = {"Resources": {"WebBucket": {"Type": "AWS::S3::Bucket"}},
                "Outputs": {"WebBucket": {"Value": {"Ref": "WebBucket"}},
                            **{key: {"Value": value} for key, value in outputs.items()}}}
    aws.client("cloudformation").create_stack(StackName=f"everywhere-{stage}", TemplateBody=json.dumps(template))


def test_a_stage_deployed_from_the_package_is_published_from_its_stacks_outputs(aws, web, monkeypatch):
    monkeypatch.delenv("WEB_TILE_URL", raising=False)
    distribution = aws.client("cloudfront").create_distribution(DistributionConfig={
        "CallerReference": "everywhere-prod-web", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "b.s3.amazonaws.com",
                                               "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "redirect-to-https"},
    })["Distribution"]
    _packaged_stack(aws, "prod", {
        "EndpointURL": API_URL, "WebsocketConnectEndpointURL": WS_URL + "/", "UserPoolId": f"{REGION}_Pool1",
        "UserPoolClientId": "client1", "WebDistributionId": distribution["Id"], "WebUrl": "https://d1.cloudfront.net"})

    assert web_upload.main(["--stage", "prod", "--web", str(web)]) == 0

    bucket = aws.client("cloudformation").describe_stack_resource(
        StackName="everywhere-prod", LogicalResourceId="WebBucket")["StackResourceDetail"]["PhysicalResourceId"]
    objects = _objects(aws, bucket)
    assert set(objects) == {*HOSTED, "config.json"}
    config = json.loads(objects["config.json"]["Body"].read())
    assert (config["api_url"], config["ws_url"], config["stage"]) == (API_URL.rstrip("/"), WS_URL, "prod")


def test_publishing_to_a_stage_of_make_deploy_is_refused_naming_make_deploy(aws, web):
    _packaged_stack(aws, "dev", {"UserPoolId": f"{REGION}_Pool1"})
    with pytest.raises(SystemExit, match="make deploy STAGE=dev"):
        web_upload.main(["--stage", "dev", "--web", str(web)])
