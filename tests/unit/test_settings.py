"""Settings are validated once, and a bad one is refused with the name of its variable."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib import settings
from chalicelib.settings import SettingsError, validate
from scripts import stage_config

CONFIG = json.loads((Path(__file__).parents[2] / ".chalice" / "config.json").read_text())
# What the infra stack provides to every stage at deploy time (scripts/deploy.py writes its outputs in).
INFRA = {
    "ESCROW_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:escrow",
    "ESCROW_TOKEN_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/tokens",
    "COGNITO_USER_POOL_ID": "us-east-1_abc",
    "COGNITO_APP_CLIENT_ID": "client",
}


def stage_environment(stage: str) -> dict[str, str]:
    return {**CONFIG["environment_variables"], **CONFIG["stages"][stage]["environment_variables"], **INFRA}


@pytest.mark.parametrize("stage", sorted(CONFIG["stages"]))
def test_every_stage_of_the_project_has_valid_settings(stage):
    assert validate(stage_environment(stage)).stage == stage


@pytest.mark.parametrize("stage", sorted(CONFIG["stages"]))
def test_every_stage_names_its_payment_rail(stage):
    assert "PAYMENT_RAIL" in CONFIG["stages"][stage]["environment_variables"]


def test_production_moves_no_simulated_money():
    assert validate(stage_environment("prod")).payment_rail == settings.NO_RAIL


def test_a_stage_that_did_not_ask_for_simulated_money_gets_none():
    assert validate({**INFRA, "STAGE": "staging"}).payment_rail == settings.NO_RAIL


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("FEE_BPS", "12000"),
        ("FEE_BPS", "-1"),
        ("FEE_BPS", "ten"),
        ("PAYMENT_RAIL", "free-money"),
        ("AUTO_RELEASE_AFTER_DELIVERY_S", "0"),
        ("SERVICE_DEADLINE_S", "-5"),
        ("DISPUTE_TIMEOUT_S", "0"),
        ("RATE_LIMITS", "message=3/0"),
        ("PRIVILEGED_QUOTA", "-1"),
        ("MAX_ACTIVE_LISTINGS", "0"),  # a provider could not publish their first listing
        ("SEARCH_CACHE_S", "-2"),
    ],
)
def test_a_bad_setting_is_refused_naming_its_variable(variable, value):
    with pytest.raises(SettingsError, match=variable):
        validate({**stage_environment("dev"), variable: value})


@pytest.mark.parametrize("variable", sorted(INFRA))
def test_a_missing_required_setting_is_refused_naming_its_variable(variable):
    environment = stage_environment("dev")
    del environment[variable]
    with pytest.raises(SettingsError, match=variable):
        validate(environment)


def test_a_blank_required_setting_counts_as_missing():
    with pytest.raises(SettingsError, match="ESCROW_STATE_MACHINE_ARN"):
        validate({**stage_environment("dev"), "ESCROW_STATE_MACHINE_ARN": "  "})


def test_table_names_derive_from_the_stage_unless_given():
    derived = validate(stage_environment("dev"))
    assert derived.listings_table == "everywhere-dev-listings"
    assert validate({**stage_environment("dev"), "LISTINGS_TABLE": "mine"}).listings_table == "mine"


def test_the_environment_is_validated_once_per_distinct_set_of_variables(monkeypatch):
    for name, value in stage_environment("dev").items():
        monkeypatch.setenv(name, value)
    first = settings.get_settings()
    assert settings.get_settings() is first
    monkeypatch.setenv("FEE_BPS", "250")
    assert settings.get_settings().fee_bps == 250


def test_a_lambda_cold_start_fails_on_a_bad_setting(monkeypatch):
    for name, value in stage_environment("dev").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("FEE_BPS", "10001")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "everywhere-dev")
    with pytest.raises(SettingsError, match="FEE_BPS"):
        settings.check_at_cold_start()


def test_an_unknown_open_region_is_refused_naming_the_variable():
    with pytest.raises(SettingsError, match=r"OPEN_REGIONS.*atlantis"):
        validate({**stage_environment("dev"), "OPEN_REGIONS": "shanghai,atlantis"})


@pytest.mark.parametrize("stage", sorted(CONFIG["stages"]))
def test_deploying_or_packaging_a_stage_of_the_project_passes_the_settings_check(stage):
    stage_config.check_settings(stage)


def test_a_deploy_stops_before_creating_anything_on_a_bad_setting(monkeypatch):
    config = json.loads(json.dumps(CONFIG))
    config["stages"]["dev"]["environment_variables"]["FEE_BPS"] = "12000"
    monkeypatch.setattr(stage_config, "chalice_config", lambda stage: config)
    with pytest.raises(SystemExit, match="FEE_BPS"):
        stage_config.check_settings("dev")


def test_the_cursor_secret_is_used_exactly_as_given():
    assert validate({**stage_environment("dev"), "CURSOR_SECRET": " key with spaces\n"}).cursor_secret == (
        b" key with spaces\n"
    )
