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

from campaign_core.mail.log import log_event
from campaign_core.settings import PROJECT_ROOT
from campaign_core.store.dynamodb import DynamoDBStore
from drill_sender.services.tracking import PREFETCH_HEADERS
from scripts.lambda_package import LAMBDA_RUNTIME
from tests.support.aws_template import TEMPLATE, load_template, resources, sub_text, template
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


TEMPLATES = [TEMPLATE, PROJECT_ROOT / "template-edge.yaml"]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_sam_validate_lint_passes_offline(path: Path) -> None:
    result = subprocess.run(
        [tool("sam"), "validate", "--lint", "--template-file", str(path)],
        cwd=PROJECT_ROOT, env=offline_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_cfn_lint_passes(path: Path) -> None:
    result = subprocess.run(
        [tool("cfn-lint"), str(path)],
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
    # python3.11 leaves Lambda in 2027; the layer is built for the same runtime, and make test runs
    # the Lambda tests under it (.cache/py313-venv).
    assert glob["Runtime"] == LAMBDA_RUNTIME == "python3.13"
    layer = resources("AWS::Serverless::LayerVersion")["DependenciesLayer"]
    assert layer["Properties"]["CompatibleRuntimes"] == [LAMBDA_RUNTIME]
    assert layer["Metadata"]["BuildMethod"] == LAMBDA_RUNTIME
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    assert "$(PY313_VENV)/bin/pytest" in makefile and "tests/aws/test_lambda_flow.py" in makefile
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
    # CloudFront proves itself to the functions with a random secret from SSM (the stack id shows in
    # every resource's tags): it sends the first value, the functions accept every listed one.
    custom = {h["HeaderName"]: h["HeaderValue"] for h in origins["api"]["OriginCustomHeaders"]}
    expected = template()["Globals"]["Function"]["Environment"]["Variables"]["CAMPAIGN_ORIGIN_VERIFY"]
    assert expected == {"Ref": "OriginVerifySecret"}
    assert custom["X-Origin-Verify"] == {
        "Fn::Select": [0, {"Fn::Split": [",", {"Ref": "OriginVerifySecret"}]}]
    }
    assert template()["Parameters"]["OriginVerifySecret"]["Type"] == "AWS::SSM::Parameter::Value<String>"
    assert "AWS::StackId" not in json.dumps(template())
    assert config["WebACLId"] == {"Fn::If": ["HasWebAcl", {"Ref": "WebAclArn"}, {"Ref": "AWS::NoValue"}]}
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
        re.sub(r".*\$\{(\w+)\}.*", r"\1", sub_text(g["Properties"]["LogGroupName"]))
        for g in groups.values()
        if sub_text(g["Properties"]["LogGroupName"]).startswith("/aws/lambda/")
    }
    assert named == set(functions())
    assert all(g["Properties"]["RetentionInDays"] <= 400 for g in groups.values())


def test_the_api_keeps_an_access_log_without_addresses_or_link_tokens() -> None:
    """A 5xx alarm of the HTTP API (a timeout, a throttle before any function ran) can be looked
    into; the log holds no client address, no user agent and no path (tracking and confirmation
    links carry their tokens in the path)."""
    settings = resources("AWS::Serverless::HttpApi")["HttpApi"]["Properties"]["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": "ApiAccessLogs.Arn"}
    group = resources("AWS::Logs::LogGroup")["ApiAccessLogs"]["Properties"]
    assert group["RetentionInDays"] <= 90 and "${Stage}" in sub_text(group["LogGroupName"])
    fields = json.loads(settings["Format"])  # one JSON object a request, as the metric filters read
    variables = set(re.findall(r"\$context\.([\w.]+)", settings["Format"]))
    assert {"requestId", "routeKey", "status", "integrationErrorMessage"} <= variables
    assert not variables & {"identity.sourceIp", "identity.userAgent", "path", "domainName"}
    assert all(isinstance(v, str) and v.startswith("$context.") for v in fields.values())


def dimension_targets(alarm: dict[str, Any]) -> set[str]:
    """The resources an alarm's dimensions name (Ref, GetAtt, or the table through its If)."""
    found = set()
    for dimension in alarm["Properties"].get("Dimensions", []):
        value = dimension["Value"]
        if "Fn::If" in value:
            value = value["Fn::If"][2]
        found.add(value.get("Ref") or str(value.get("Fn::GetAtt", "")).split(".")[0])
    return found


def test_alarms_reach_one_topic_when_anything_fails_or_ses_reputation_drops() -> None:
    alarms = resources("AWS::CloudWatch::Alarm")
    for alarm in alarms.values():
        assert alarm.get("Condition") in (None, "HasReportAddress")  # the report function may not exist
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    # The topic always exists; a mailbox subscribes when AlarmEmail is given.
    assert "Condition" not in resources("AWS::SNS::Topic")["AlarmTopic"]
    subscription = resources("AWS::SNS::Subscription")["AlarmSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    watched = {name for a in alarms.values() for name in dimension_targets(a)}
    assert set(functions()) <= watched  # every function, tracking, bounce and report included
    assert {"HttpApi", "Table", "FailedEventsQueue"} <= watched
    metrics = {
        (sub_text(a["Properties"]["Namespace"]), a["Properties"]["MetricName"]) for a in alarms.values()
    }
    assert {("AWS/ApiGateway", "5xx"), ("AWS/DynamoDB", "ReadThrottleEvents")} <= metrics
    assert ("AWS/DynamoDB", "WriteThrottleEvents") in metrics
    thresholds = {a["Properties"]["MetricName"]: a["Properties"]["Threshold"] for a in alarms.values()}
    # Below the rates at which SES reviews an account (5 % bounces, 0.1 % complaints).
    assert thresholds["Reputation.BounceRate"] < 0.05 and thresholds["Reputation.ComplaintRate"] < 0.001


def json_filter_matches(pattern: str, line: str) -> bool:
    """CloudWatch Logs' JSON filter syntax for the one form the template uses, `{ $.a.b = "v" }`
    (and `&&` of such terms): a log event matches only if it is one JSON object as a whole."""
    terms = re.fullmatch(r"\{\s*(.+?)\s*\}", pattern)
    assert terms, pattern
    try:
        event = json.loads(line)
    except ValueError:
        return False
    for term in terms.group(1).split("&&"):
        selector, value = re.fullmatch(r'\s*\$\.([\w.]+)\s*=\s*"([^"]*)"\s*', term).groups()  # type: ignore[union-attr]
        found: Any = event
        for key in selector.split("."):
            found = found.get(key) if isinstance(found, dict) else None
        if found != value:
            return False
    return True


def test_failed_sends_count_from_the_send_due_log_and_raise_an_alarm() -> None:
    metric_filter = resources("AWS::Logs::MetricFilter")["SendFailedMetricFilter"]["Properties"]
    assert metric_filter["LogGroupName"] == {"Ref": "SendDueLogs"}
    pattern = metric_filter["FilterPattern"]
    failed = json.dumps({"event": "send_failed", "message": "m-1", "error": "MessageRejected"})
    assert json_filter_matches(pattern, failed)
    assert not json_filter_matches(pattern, json.dumps({"event": "sent", "message": "m-2"}))
    assert not json_filter_matches(pattern, "[ERROR] send_failed somewhere in a text line")
    transformation = metric_filter["MetricTransformations"][0]
    alarm = resources("AWS::CloudWatch::Alarm")["SendFailedAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == (
        transformation["MetricNamespace"],
        transformation["MetricName"],
    )
    assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


@pytest.mark.parametrize("event", ["send_failed", "send_stopped"])
def test_every_mail_failure_line_of_the_sender_raises_an_alarm(
    event: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run stopped by an account-level error (SES paused, denied, throttled; an identity not
    verified) returns normally, so no function error counts it: its log line must raise an alarm."""
    log_event(event, message="m-1", reason="sending_paused: SES SendingPausedException", left_scheduled=3)
    (line,) = capsys.readouterr().err.splitlines()  # the line as the sender writes it
    matching = [
        f["Properties"]["MetricTransformations"][0]
        for f in resources("AWS::Logs::MetricFilter").values()
        if f["Properties"]["LogGroupName"] == {"Ref": "SendDueLogs"}
        and json_filter_matches(f["Properties"]["FilterPattern"], line)
    ]
    assert matching, f"no metric filter on the send-due log matches {line}"
    alarmed = {
        (sub_text(a["Properties"]["Namespace"]), a["Properties"]["MetricName"])
        for a in resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["Threshold"] == 1
    }
    assert {(sub_text(t["MetricNamespace"]), t["MetricName"]) for t in matching} <= alarmed


def test_the_two_async_functions_keep_what_failed_every_retry() -> None:
    for name in ("SesEventsFunction", "ReportFunction"):
        config = functions()[name]["Properties"]["EventInvokeConfig"]
        assert config["DestinationConfig"]["OnFailure"] == {
            "Type": "SQS",
            "Destination": {"Fn::GetAtt": "FailedEventsQueue.Arn"},
        }
        assert config["MaximumRetryAttempts"] == 2
    queue = resources("AWS::SQS::Queue")["FailedEventsQueue"]["Properties"]
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600 and queue["SqsManagedSseEnabled"] is True


def walk(node: Any, path: tuple[str, ...] = ()) -> Any:
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*path, str(key)), value
            yield from walk(value, (*path, str(key)))
    elif isinstance(node, list):
        for value in node:
            yield from walk(value, path)


NAMED = ("Name", "RuleSetName", "QueueName", "ManagedPolicyName", "BackupVaultName", "BackupPlanName",
         "ConfigurationSetName", "LogGroupName")  # fmt: skip


def test_names_that_must_be_unique_in_an_account_carry_the_stage() -> None:
    """Two stages in one account and region must not collide: schedules, the receipt rule set and its
    rule, queues, policies, the backup vault and plan."""
    checked = []
    for name, resource in template()["Resources"].items():
        for path, value in walk(resource.get("Properties", {})):
            if {"EventDestination", "Dimensions"} & set(path):  # within a named thing, or not a name
                continue
            if path[-1] in NAMED and isinstance(value, (str, dict)) and "Ref" not in value:
                text = sub_text(value)
                if path[-1] == "ConfigurationSetName" and isinstance(value, dict):
                    continue
                checked.append((name, "/".join(path)))
                assert "${Stage}" in text or ("${" in text and "Function}" in text), (name, path, value)
    named = {n for n, _ in checked}
    assert {"SendDueFunction", "PurgeFunction", "ReceiptRuleSet", "ReportReceiptRule"} <= named
    schedules = [
        e["Properties"]["Name"]
        for f in functions().values()
        for e in f["Properties"].get("Events", {}).values()
        if e["Type"] == "ScheduleV2"
    ]
    assert len(schedules) == 2 and all("${Stage}" in sub_text(n) for n in schedules)


def test_every_table_grant_follows_the_restored_table_parameter() -> None:
    """After a restore (README), the functions, the staff policy, the backups and the alarms all move
    to the restored table with one parameter."""
    variables = template()["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["CAMPAIGN_DYNAMODB_TABLE"] == {
        "Fn::If": ["HasRestoredTable", {"Ref": "RestoredTableName"}, {"Ref": "Table"}]
    }
    unguarded = list(table_references(template()["Resources"]))
    assert unguarded == [], "references to the stack's table without the restored alternative"
    assert "Table" in json.dumps(template()["Resources"]["StaffPolicy"])  # the walk does see them


def table_references(node: Any, path: str = "") -> Any:
    """Paths where the stack's own table is named outside the else-branch of `HasRestoredTable`."""
    if isinstance(node, dict):
        branches = node.get("Fn::If")
        if isinstance(branches, list) and branches[0] == "HasRestoredTable":
            yield from table_references(branches[1], path + "/then")
            return
        if node.get("Ref") == "Table" or node.get("Fn::GetAtt") in ("Table.Arn", ["Table", "Arn"]):
            yield path
        if "Fn::Sub" in node and "${Table" in json.dumps(node["Fn::Sub"]):
            yield path
        for key, value in node.items():
            if key != "DependsOn":
                yield from table_references(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from table_references(value, f"{path}[{index}]")


def test_forms_have_reserved_concurrency_and_the_edge_stack_limits_posts() -> None:
    forms = functions()["FormsFunction"]["Properties"]
    assert forms["ReservedConcurrentExecutions"] == {"Ref": "FormsConcurrency"}
    edge = load_template(PROJECT_ROOT / "template-edge.yaml")
    acl = edge["Resources"]["WebAcl"]["Properties"]
    assert acl["Scope"] == "CLOUDFRONT"
    rules = {r["Name"]: r for r in acl["Rules"]}
    rate = rules["PostApiPerIp"]["Statement"]["RateBasedStatement"]
    assert rate["AggregateKeyType"] == "IP" and rate["Limit"] == {"Ref": "PostLimitPerIp"}
    matches = {
        s["ByteMatchStatement"]["PositionalConstraint"]: s["ByteMatchStatement"]["SearchString"]
        for s in rate["ScopeDownStatement"]["AndStatement"]["Statements"]
    }
    assert matches == {"EXACTLY": "POST", "STARTS_WITH": "/api/"}
    assert rules["PostApiPerIp"]["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429
    managed = {
        r["Statement"]["ManagedRuleGroupStatement"]["Name"] for r in acl["Rules"] if "OverrideAction" in r
    }
    assert "AWSManagedRulesCommonRuleSet" in managed
    assert edge["Outputs"]["WebAclArn"]["Value"] == {"Fn::GetAtt": "WebAcl.Arn"}


def test_responses_of_the_apps_are_never_cached_for_another_person() -> None:
    """/t/* serves per-person learning pages: CloudFront must not keep one for the next viewer, and no
    cookie or header it keys on could make two people share one."""
    config = resources("AWS::CloudFront::Distribution")["Distribution"]["Properties"]["DistributionConfig"]
    for behaviour in config["CacheBehaviors"]:
        if behaviour["TargetOriginId"] == "api":
            assert behaviour["CachePolicyId"] == CACHING_DISABLED
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "site"  # the default never reaches an app
    patterns = {b["PathPattern"] for b in config["CacheBehaviors"]}
    assert "/t/*" in patterns and "/api/*" in patterns


def test_ses_identities_have_dkim_and_an_aligned_mail_from() -> None:
    identities = resources("AWS::SES::EmailIdentity")
    assert identities["MailIdentity"]["Properties"]["EmailIdentity"] == {"Ref": "MailDomain"}
    assert identities["DrillIdentity"]["Condition"] == "ManagesDrillIdentity"
    for name, domain in (("MailIdentity", "MailDomain"), ("DrillIdentity", "DrillDomain")):
        props = identities[name]["Properties"]
        assert props["DkimAttributes"]["SigningEnabled"] is True
        mail_from = props["MailFromAttributes"]
        # A subdomain of the From domain: SPF passes for it and aligns (relaxed) with the From.
        assert sub_text(mail_from["MailFromDomain"]) == "${MailFromSubdomain}.${" + domain + "}"
        assert mail_from["BehaviorOnMxFailure"] == "REJECT_MESSAGE"
    outputs = template()["Outputs"]
    assert "MailDkimRecords" in outputs and "MailFromRecords" in outputs


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def staff_statements() -> list[dict[str, Any]]:
    policy = resources("AWS::IAM::ManagedPolicy")["StaffPolicy"]["Properties"]["PolicyDocument"]
    return list(policy["Statement"])


def test_the_staff_policy_grants_the_command_and_never_deletes_the_table_or_the_audit_trail() -> None:
    allowed = [s for s in staff_statements() if s["Effect"] == "Allow"]
    denied = [s for s in staff_statements() if s["Effect"] == "Deny"]
    granted = {a for s in allowed for a in listed(s["Action"])}
    assert {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "ses:SendRawEmail"} <= granted
    assert "ssm:GetParameter" in granted  # CAMPAIGN_SECRET_PARAMETER
    assert not [a for a in granted if "*" in a or a.startswith(("backup:", "iam:"))]
    tables = [a for a in granted if a.startswith("dynamodb:") and "Table" in a]
    assert tables == []  # no table-level action at all
    assert not [a for a in granted if a.startswith("dynamodb:Batch") and "Write" in a]
    for statement in allowed:
        assert "*" not in listed(statement["Resource"])
    never = {a for s in denied if "Condition" not in s for a in s["Action"]}
    assert {"dynamodb:DeleteTable", "dynamodb:DeleteBackup", "backup:DeleteRecoveryPoint"} <= never
    audit = next(s for s in denied if "Condition" in s)
    assert set(audit["Action"]) == {"dynamodb:DeleteItem", "dynamodb:UpdateItem"}
    assert "audit" in audit["Condition"]["ForAnyValue:StringLike"]["dynamodb:LeadingKeys"]
    assert template()["Outputs"]["StaffPolicyArn"]["Value"] == {"Ref": "StaffPolicy"}


def test_a_daily_backup_of_the_table_is_kept_as_long_as_pitr() -> None:
    plan = resources("AWS::Backup::BackupPlan")["BackupPlan"]["Properties"]["BackupPlan"]
    (rule,) = plan["BackupPlanRule"]
    assert rule["Lifecycle"]["DeleteAfterDays"] == 35 and rule["ScheduleExpression"].startswith("cron(")
    selection = resources("AWS::Backup::BackupSelection")["BackupSelection"]["Properties"]["BackupSelection"]
    (target,) = selection["Resources"]
    assert target["Fn::If"][2] == {"Fn::GetAtt": "Table.Arn"}
    vault = resources("AWS::Backup::BackupVault")["BackupVault"]
    assert vault["DeletionPolicy"] == "Retain"
