"""template.yaml: valid for SAM and cfn-lint, and in step with the code it deploys."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
from pathlib import Path
from shutil import which
from typing import Any

import boto3
import pytest

from campaign_core.settings import PROJECT_ROOT
from campaign_core.store.dynamodb import DynamoDBStore
from drill_sender.services.tracking import PREFETCH_HEADERS
from tests.support.aws_template import TEMPLATE, resources, sub_text, template
from tests.support.servers import MOTO_CREDENTIALS, MotoServer

SAM_VENV = PROJECT_ROOT / ".cache" / "sam-venv" / "bin"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"


def offline_env() -> dict[str, str]:
    """No credentials and no profile: the checks must not need an AWS account."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {**env, "AWS_DEFAULT_REGION": "ap-northeast-1", "SAM_CLI_TELEMETRY": "0",
            "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}  # fmt: skip


def tool(name: str) -> str:
    path = SAM_VENV / name
    assert path.exists(), f"{path} is missing: run scripts/install-sam.sh (make test-deps does)"
    return str(path)


def test_sam_validate_lint_passes_offline() -> None:
    result = subprocess.run(
        [tool("sam"), "validate", "--lint", "--template-file", str(TEMPLATE)],
        cwd=PROJECT_ROOT, env=offline_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


def test_cfn_lint_passes() -> None:
    result = subprocess.run(
        [tool("cfn-lint"), str(TEMPLATE)],
        cwd=PROJECT_ROOT, env=offline_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def functions() -> dict[str, dict[str, Any]]:
    return resources("AWS::Serverless::Function")


@pytest.mark.parametrize("name", sorted(functions()))
def test_each_handler_is_a_top_level_name_of_its_module(name: str) -> None:
    module, _, attribute = functions()[name]["Properties"]["Handler"].rpartition(".")
    source = PROJECT_ROOT / (module.replace(".", "/") + ".py")
    tree = ast.parse(source.read_text(encoding="utf-8"))
    names = {
        t.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    names |= {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert attribute in names


def test_functions_run_python_on_arm64_with_the_settings_the_code_reads() -> None:
    glob = template()["Globals"]["Function"]
    assert glob["Architectures"] == ["arm64"]
    assert glob["Runtime"] in ("python3.11", "python3.12")
    variables = set(glob["Environment"]["Variables"])
    for function in functions().values():
        variables |= set(function["Properties"].get("Environment", {}).get("Variables", {}))
    code = "\n".join(
        p.read_text(encoding="utf-8")
        for package in ("campaign_core", "form_lambda", "drill_sender")
        for p in (PROJECT_ROOT / package).rglob("*.py")
    )
    unread = sorted(v for v in variables if f'"{v}"' not in code)
    assert unread == [], f"the template sets variables no code reads: {unread}"
    assert {"CAMPAIGN_STORE", "CAMPAIGN_MAIL", "CAMPAIGN_SECRET_PARAMETER"} <= variables


def test_the_table_is_the_one_the_adapter_creates(moto_server: MotoServer) -> None:
    table = resources("AWS::DynamoDB::Table")["Table"]["Properties"]
    name = "template-check"
    store = DynamoDBStore(name, endpoint_url=moto_server.endpoint)
    store.create_table()
    try:
        client = boto3.client("dynamodb", endpoint_url=moto_server.endpoint, **MOTO_CREDENTIALS)
        described = client.describe_table(TableName=name)["Table"]
        ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    finally:
        store.client.delete_table(TableName=name)
    assert table["KeySchema"] == described["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(
        described["AttributeDefinitions"], key=str
    )
    assert table["BillingMode"] == described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"] == {"AttributeName": ttl["AttributeName"], "Enabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def statements() -> list[dict[str, Any]]:
    found = []
    for function in functions().values():
        for policy in function["Properties"].get("Policies", []):
            assert isinstance(policy, dict) and "Statement" in policy, "explicit statements only"
            found.extend(policy["Statement"])
    return found


def test_iam_grants_no_wildcard_actions_and_no_wildcard_resources() -> None:
    allowed = [s for s in statements() if s["Effect"] == "Allow"]
    assert allowed
    for statement in allowed:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in action for action in actions), statement
        targets = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        assert "*" not in targets, statement
    # The tracking function never mails; the SES events function only writes the suppression list.
    drill = json.dumps(functions()["DrillFunction"]["Properties"]["Policies"])
    assert "ses:" not in drill
    events = json.dumps(functions()["SesEventsFunction"]["Properties"]["Policies"])
    assert "ses:" not in events and "ssm:" not in events and "DeleteItem" not in events


def csp() -> str:
    policy = resources("AWS::CloudFront::ResponseHeadersPolicy")["SecurityHeadersPolicy"]
    security = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    return " ".join(sub_text(security["ContentSecurityPolicy"]["ContentSecurityPolicy"]).split())


def test_security_headers_policy() -> None:
    policy = resources("AWS::CloudFront::ResponseHeadersPolicy")["SecurityHeadersPolicy"]
    security = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    text = csp()
    directives = {d.split()[0]: d.split()[1:] for d in text.split("; ")}
    # Nothing runs unless it is a file of the site or an inline script with a listed hash; only
    # style attributes (no <style> element) are allowed inline.
    assert [name for name, values in directives.items() if "'unsafe-inline'" in values] == ["style-src-attr"]
    assert "'unsafe-eval'" not in text and "*" not in text
    assert "script-src 'self' ${InlineScriptHashes};" in text
    assert "frame-ancestors 'none'" in text and "object-src 'none'" in text
    assert "default-src 'self'" in text
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert security["ContentTypeOptions"]["Override"] is True
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert security["ReferrerPolicy"]["ReferrerPolicy"]


def test_site_and_api_share_one_origin_over_https() -> None:
    config = resources("AWS::CloudFront::Distribution")["Distribution"]["Properties"]["DistributionConfig"]
    origins = {o["Id"]: o for o in config["Origins"]}
    assert "OriginAccessControlId" in origins["site"]
    assert origins["api"]["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] in ("redirect-to-https", "https-only")
    behaviours = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    assert set(behaviours) == {"/api/*", "/t/*"}
    for behaviour in behaviours.values():
        assert behaviour["TargetOriginId"] == "api"
        assert behaviour["ViewerProtocolPolicy"] == "https-only"
        assert behaviour["CachePolicyId"] == CACHING_DISABLED
        assert set(behaviour["AllowedMethods"]) == {
            "GET",
            "HEAD",
            "OPTIONS",
            "PUT",
            "PATCH",
            "POST",
            "DELETE",
        }
        assert behaviour["OriginRequestPolicyId"] == {"Ref": "ApiOriginRequestPolicy"}
    # CloudFront proves itself to the functions with the value they expect.
    custom = {h["HeaderName"]: h["HeaderValue"] for h in origins["api"]["OriginCustomHeaders"]}
    expected = template()["Globals"]["Function"]["Environment"]["Variables"]["CAMPAIGN_ORIGIN_VERIFY"]
    assert custom["X-Origin-Verify"] == expected and "AWS::StackId" in json.dumps(expected)
    request_policy = resources("AWS::CloudFront::OriginRequestPolicy")["ApiOriginRequestPolicy"]
    forwarded = request_policy["Properties"]["OriginRequestPolicyConfig"]
    assert forwarded["QueryStringsConfig"]["QueryStringBehavior"] == "all"
    headers = {h.lower() for h in forwarded["HeadersConfig"]["Headers"]}
    assert "host" not in headers  # API Gateway answers only to its own host name
    # What the apps read: the prefetch signs of the tracking, the same-origin check, the viewer.
    needed = {h.lower() for h in PREFETCH_HEADERS} | {
        "origin",
        "referer",
        "user-agent",
        "cloudfront-viewer-address",
    }
    assert needed <= headers
    assert len(headers) <= 10  # CloudFront's limit per origin request policy


def test_directory_index_function_maps_directory_urls_like_the_local_server(tmp_path: Path) -> None:
    code = resources("AWS::CloudFront::Function")["DirectoryIndexFunction"]["Properties"]["FunctionCode"]
    script = tmp_path / "index.js"
    script.write_text(
        code
        + "\nconst uris = JSON.parse(process.argv[2]);\n"
        + "console.log(JSON.stringify(uris.map(u => handler({request: {uri: u}}))));\n",
        encoding="utf-8",
    )
    uris = ["/", "/drill/", "/drill", "/assets/css/site.css", "/learn/10-obvious/", "/sitemap.xml"]
    assert which("node"), "node is missing (make test-deps installs it with npm)"
    output = subprocess.run(
        ["node", str(script), json.dumps(uris)], capture_output=True, text=True, check=True
    )
    results = json.loads(output.stdout)
    assert [r.get("uri") for r in results] == [
        "/index.html", "/drill/index.html", None, "/assets/css/site.css", "/learn/10-obvious/index.html",
        "/sitemap.xml",
    ]  # fmt: skip
    assert results[2]["statusCode"] == 301 and results[2]["headers"]["location"]["value"] == "/drill/"


def test_every_function_has_a_log_group_with_retention() -> None:
    groups = resources("AWS::Logs::LogGroup")
    named = {
        re.sub(r".*\$\{(\w+)\}.*", r"\1", sub_text(g["Properties"]["LogGroupName"])) for g in groups.values()
    }
    assert named == set(functions())
    assert all(g["Properties"]["RetentionInDays"] <= 400 for g in groups.values())


def test_alarms_reach_staff_when_sends_fail_or_ses_reputation_drops() -> None:
    alarms = resources("AWS::CloudWatch::Alarm")
    for alarm in alarms.values():
        assert alarm["Condition"] == "HasAlarmEmail"
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    watched = {d["Value"]["Ref"] for a in alarms.values() for d in a["Properties"].get("Dimensions", [])}
    assert {"SendDueFunction", "FormsFunction"} <= watched
    metrics = {a["Properties"]["MetricName"]: a["Properties"]["Threshold"] for a in alarms.values()}
    # Below the rates at which SES reviews an account (5 % bounces, 0.1 % complaints).
    assert metrics["Reputation.BounceRate"] < 0.05 and metrics["Reputation.ComplaintRate"] < 0.001
