"""Deploy to AWS: build the site, `sam build`, the edge stack (WAF, us-east-1), `sam deploy`, upload
the site to S3, invalidate CloudFront, narrow the CSP to the new pages.

    scripts/deploy --stage prod --domain drill.example.jp \\
        --certificate-arn arn:aws:acm:us-east-1:123456789012:certificate/... \\
        --sender "事務局 <noreply@drill.example.jp>" --mail-domain drill.example.jp \\
        [--hosted-zone-id Z123...] [--drill-domain ...] [--report-address report@drill.example.jp]
        [--alarm-email ops@example.jp] [--region ap-northeast-1] [--restored-table NAME]
        [--no-waf] [--existing-ses-identities] [--rotate-origin-secret] [--yes] [--dry-run]

Every option also reads `CAMPAIGN_DEPLOY_<OPTION>` (e.g. CAMPAIGN_DEPLOY_DOMAIN), so `make deploy`
can take them from the environment. `--dry-run` prints each step (commands, every S3 upload with
its content type and cache header, the invalidation) and calls nothing: no AWS, no build. A change
set of `prod` is shown and waits for a yes unless `--yes`. The sender must be an address of
`--mail-domain`: the functions' IAM policy covers that SES identity only.

The functions' code is staged in `.cache/lambda-src/` (the three packages, `content/`, the built
`site/` the forms render their pages into); their dependencies are one layer built from the pinned
`.cache/lambda-deps/requirements.txt`, for which `sam build` fetches the arm64 wheels with the
runtime's Python 3.13 (`scripts/python313.sh` finds it). boto3 is not packaged: the Lambda Python
runtime provides it. What goes to CloudFormation is in `scripts/deploy_stack.py`.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from campaign_core.settings import PROJECT_ROOT
from scripts.deploy_stack import (
    active_rule_set_conflict,
    ensure_origin_secret,
    merged_hashes,
    origin_secret_name,
    parameter_overrides,
    protect_table,
    require_hashes,
    sender_problem,
    settle_origin_secret,
    stack_outputs,
    stack_parameters,
)
from scripts.lambda_package import (
    LAMBDA_DEPS,
    LAMBDA_RUNTIME,
    LAMBDA_SRC,
    PACKAGES,
    lambda_python,
    lambda_requirements,
    precompile_command,
    stage_lambda_source,
)
from scripts.site_files import Upload, inline_script_hashes, site_build_env, site_uploads

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

SAM = PROJECT_ROOT / ".cache" / "sam-venv" / "bin" / "sam"
EDGE_TEMPLATE = PROJECT_ROOT / "template-edge.yaml"  # the WAF web ACL, in us-east-1
# --- The steps -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    stage: str
    domain: str
    certificate_arn: str
    sender: str
    mail_domain: str
    hosted_zone_id: str
    drill_domain: str
    region: str
    site_dir: Path
    dry_run: bool
    report_address: str = ""
    alarm_email: str = ""
    restored_table: str = ""
    waf: bool = True
    yes: bool = False
    rotate_origin_secret: bool = False
    manage_ses_identities: bool = True

    @property
    def stack(self) -> str:
        return f"security-drill-{self.stage}"

    @property
    def edge_stack(self) -> str:
        return f"security-drill-{self.stage}-edge"


def stack_overrides(config: Config, hashes: Sequence[str], web_acl_arn: str) -> dict[str, str]:
    return {
        "Stage": config.stage,
        "DomainName": config.domain,
        "CertificateArn": config.certificate_arn,
        "HostedZoneId": config.hosted_zone_id,
        "SenderAddress": config.sender,
        "MailDomain": config.mail_domain,
        "DrillDomain": config.drill_domain,
        "ReportAddress": config.report_address,
        "AlarmEmail": config.alarm_email,
        "InlineScriptHashes": " ".join(hashes),
        "WebAclArn": web_acl_arn,
        "OriginVerifySecret": origin_secret_name(config.stage),
        "RestoredTableName": config.restored_table,
        "ManageSesIdentities": "true" if config.manage_ses_identities else "false",
    }


def sam_deploy_command(
    config: Config, hashes: Sequence[str], *, web_acl_arn: str = "", confirm: bool | None = None
) -> list[str]:
    """`sam deploy` of the main stack; a change set of `prod` waits for a yes unless `--yes`."""
    if confirm is None:
        confirm = config.stage == "prod" and not config.yes
    return [
        str(SAM), "deploy",
        "--template-file", str(PROJECT_ROOT / ".aws-sam" / "build" / "template.yaml"),
        "--stack-name", config.stack,
        "--region", config.region,
        "--resolve-s3",
        "--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND",
        "--confirm-changeset" if confirm else "--no-confirm-changeset",
        "--no-fail-on-empty-changeset",
        "--parameter-overrides",
        *parameter_overrides(stack_overrides(config, hashes, web_acl_arn)),
    ]  # fmt: skip


def edge_deploy_command(config: Config) -> list[str]:
    """The WAF web ACL's own stack: CloudFront takes web ACLs from us-east-1 only. A change set of
    `prod` waits for a yes unless `--yes`, as the main stack's does."""
    confirm = config.stage == "prod" and not config.yes
    return [
        str(SAM), "deploy",
        "--template-file", str(EDGE_TEMPLATE),
        "--stack-name", config.edge_stack,
        "--region", "us-east-1",
        "--no-fail-on-empty-changeset",
        "--confirm-changeset" if confirm else "--no-confirm-changeset",
        "--parameter-overrides", *parameter_overrides({"Stage": config.stage}),
    ]  # fmt: skip


class Deployer:
    def __init__(self, config: Config, out: Callable[[str], None] = print) -> None:
        self.config = config
        self.out = out

    def step(self, title: str) -> None:
        self.out(f"==> {title}")

    def run(self, command: Sequence[str], env: dict[str, str] | None = None) -> None:
        self.out("$ " + shlex.join(command))
        if not self.config.dry_run:
            subprocess.run(command, cwd=PROJECT_ROOT, env=env, check=True)  # noqa: S603 (our own commands)

    def client(self, service: str, region: str | None = None) -> Any:
        import boto3

        return boto3.client(service, region_name=region or self.config.region)  # type: ignore[call-overload]

    def deploy(self) -> None:
        c = self.config
        python = sys.executable
        self.step("1. Build the site (mkdocs, strict)")
        self.run(
            [python, "-m", "mkdocs", "build", "--strict", "--site-dir", str(c.site_dir)],
            env=site_build_env(c.report_address),
        )
        self.step(
            f"2. Stage the Lambda source in {LAMBDA_SRC.relative_to(PROJECT_ROOT)}"
            f" and the layer's requirements in {LAMBDA_DEPS.relative_to(PROJECT_ROOT)}"
        )
        if c.dry_run:
            self.out(f"   packages {', '.join(PACKAGES)}, content/, the site's pages; requirements.txt:")
            for line in lambda_requirements():
                self.out(f"   {line}")
        else:
            stage_lambda_source(c.site_dir)
        self.step(f"3. sam build (arm64 wheels for {LAMBDA_RUNTIME})")
        if not SAM.exists() and not c.dry_run:
            raise SystemExit("the SAM CLI is missing: run scripts/install-sam.sh")
        runtime_python = "python3.13" if c.dry_run else lambda_python()
        # sam build looks for the runtime's interpreter on the PATH.
        path = f"{Path(runtime_python).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        self.run(
            [str(SAM), "build", "--template-file", str(PROJECT_ROOT / "template.yaml")],
            env={**os.environ, "PATH": path, "SAM_CLI_TELEMETRY": "0"},
        )
        build_dir = PROJECT_ROOT / ".aws-sam" / "build"
        self.out("   bytecode for the runtime's Python (unchecked-hash .pyc)")
        self.run(precompile_command(build_dir, runtime_python))
        self.step(f"4. The edge: web ACL (stack {c.edge_stack} in us-east-1), origin secret")
        web_acl_arn = self.deploy_edge()
        self.step(f"5. sam deploy (stack {c.stack} in {c.region})")
        hashes = inline_script_hashes(c.site_dir)
        current = self.current_parameters()
        during = merged_hashes((current or {}).get("InlineScriptHashes", ""), hashes)
        self.out(f"   CSP script hashes: {len(hashes)} of the new build, {len(during)} during the update")
        self.run(sam_deploy_command(c, during, web_acl_arn=web_acl_arn))
        self.out("   stack policy: the table is never replaced or deleted by an update")
        if not c.dry_run:
            require_hashes(self.client("cloudformation"), c.stack, hashes)
            protect_table(self.client("cloudformation"), c.stack)
        outputs = self.stack_outputs()
        bucket, distribution = outputs["SiteBucketName"], outputs["DistributionId"]
        self.step(f"6. Upload the site to s3://{bucket}/")
        self.upload_site(bucket)
        if c.report_address:
            self.activate_receipt_rules(outputs.get("ReceiptRuleSetName", c.stack))
        self.step(f"7. Invalidate CloudFront distribution {distribution}")
        self.out(f"   create-invalidation --distribution-id {distribution} --paths '/*'")
        if not c.dry_run:
            self.invalidate(distribution)
        self.step("8. Narrow the CSP to the new pages' hashes (and the origin secret to its new value)")
        settled = not c.dry_run and settle_origin_secret(self.client("ssm"), c.stage)
        if c.dry_run or settled or during != hashes:
            self.run(sam_deploy_command(c, hashes, web_acl_arn=web_acl_arn, confirm=False))
        else:
            self.out("   nothing to narrow")
        self.out(f"Done: https://{c.domain}/")

    def deploy_edge(self) -> str:
        c = self.config
        self.out(f"   SSM {origin_secret_name(c.stage)}: created if missing"
                 + (", rotated" if c.rotate_origin_secret else ""))  # fmt: skip
        if not c.dry_run:
            ensure_origin_secret(self.client("ssm"), c.stage, rotate=c.rotate_origin_secret)
        if not c.waf:
            self.out("   --no-waf: no web ACL")
            return ""
        self.run(edge_deploy_command(c))
        if c.dry_run:
            return f"<WebAclArn of {c.edge_stack}>"
        return stack_outputs(self.client("cloudformation", "us-east-1"), c.edge_stack)["WebAclArn"]

    def current_parameters(self) -> dict[str, str] | None:
        if self.config.dry_run:
            self.out("   (the stack's current hashes are read here and kept during the update)")
            return None
        return stack_parameters(self.client("cloudformation"), self.config.stack)

    def activate_receipt_rules(self, rule_set: str) -> None:
        c = self.config
        self.out(f"   SES receiving for {c.report_address}: set-active-receipt-rule-set {rule_set}")
        if c.dry_run:
            return
        ses = self.client("ses")
        other = active_rule_set_conflict(ses, rule_set)
        if other:
            raise SystemExit(
                f"the receipt rule set {other} is active in {c.region} (one per region): add the rule of "
                f"{rule_set} to it, or make {rule_set} active yourself once {other} is no longer needed"
            )
        ses.set_active_receipt_rule_set(RuleSetName=rule_set)

    def stack_outputs(self) -> dict[str, str]:
        if self.config.dry_run:
            return {
                "SiteBucketName": f"<SiteBucketName of {self.config.stack}>",
                "DistributionId": f"<DistributionId of {self.config.stack}>",
            }
        return stack_outputs(self.client("cloudformation"), self.config.stack)

    def upload_site(self, bucket: str, client: S3Client | None = None) -> list[Upload]:
        uploads = site_uploads(self.config.site_dir)
        s3 = client
        if s3 is None and not self.config.dry_run:
            s3 = self.client("s3")
        for upload in uploads:
            self.out(f"   PUT {upload.key}  [{upload.content_type}] [{upload.cache_control}]")
            if s3 is not None:
                s3.put_object(
                    Bucket=bucket,
                    Key=upload.key,
                    Body=upload.path.read_bytes(),
                    ContentType=upload.content_type,
                    CacheControl=upload.cache_control,
                )
        # Pages and assets gone from the build are removed (the bucket keeps old versions 30 days).
        keep = {u.key for u in uploads}
        stale: list[str] = []
        if s3 is not None:
            for listing in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                stale.extend(o["Key"] for o in listing.get("Contents", []) if o.get("Key") not in keep)
            for start in range(0, len(stale), 1000):
                chunk = stale[start : start + 1000]
                s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in chunk]})
        self.out(f"   {len(uploads)} files uploaded, {len(stale)} stale removed")
        return uploads

    def invalidate(self, distribution: str) -> Any:
        import time

        return self.client("cloudfront").create_invalidation(
            DistributionId=distribution,
            InvalidationBatch={
                "Paths": {"Quantity": 1, "Items": ["/*"]},
                "CallerReference": str(time.time()),
            },
        )


def parse_args(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> Config:
    env = dict(os.environ if environ is None else environ)

    def default(name: str, fallback: str | None = None) -> str | None:
        return env.get(f"CAMPAIGN_DEPLOY_{name.upper()}", fallback)

    parser = argparse.ArgumentParser(prog="scripts/deploy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", default=default("stage", "dev"), choices=["dev", "staging", "prod"])
    parser.add_argument("--domain", default=default("domain"), help="the site's host name")
    parser.add_argument("--certificate-arn", default=default("certificate_arn"), help="ACM, us-east-1")
    parser.add_argument(
        "--sender", default=default("sender"), help='From of the campaign mails ("Name <addr>")'
    )
    parser.add_argument("--mail-domain", default=default("mail_domain"), help="the SES domain identity")
    parser.add_argument(
        "--hosted-zone-id", default=default("hosted_zone_id", ""), help="Route 53 zone (optional)"
    )
    parser.add_argument(
        "--drill-domain", default=default("drill_domain", ""), help="drill mails' domain if other"
    )
    parser.add_argument(
        "--region", default=default("region", env.get("AWS_DEFAULT_REGION", "ap-northeast-1"))
    )
    parser.add_argument(
        "--report-address", default=default("report_address", ""), help="SES receiving for forwarded reports"
    )
    parser.add_argument(
        "--alarm-email", default=default("alarm_email", ""), help="who hears of failures (CloudWatch alarms)"
    )
    parser.add_argument(
        "--restored-table", default=default("restored_table", ""), help="run on a restored table (README)"
    )
    parser.add_argument("--no-waf", action="store_true", help="no web ACL in front of CloudFront")
    parser.add_argument(
        "--existing-ses-identities", action="store_true", help="SES identities made by hand: keep them"
    )
    parser.add_argument("--yes", action="store_true", help="prod: execute the change set without asking")
    parser.add_argument(
        "--rotate-origin-secret", action="store_true", help="a new X-Origin-Verify value (SSM)"
    )
    parser.add_argument("--site-dir", type=Path, default=PROJECT_ROOT / "site")
    parser.add_argument("--dry-run", action="store_true", help="print every step, call nothing")
    args = parser.parse_args(argv)
    missing = [
        f"--{name.replace('_', '-')}"
        for name in ("domain", "certificate_arn", "sender", "mail_domain")
        if not getattr(args, name)
    ]
    if missing:
        parser.error(f"missing {', '.join(missing)} (or CAMPAIGN_DEPLOY_* in the environment)")
    if not str(args.certificate_arn).startswith("arn:aws:acm:us-east-1:"):
        parser.error("--certificate-arn must be an ACM certificate in us-east-1 (CloudFront takes no other)")
    problem = sender_problem(args.sender, args.mail_domain)
    if problem:
        parser.error(problem)
    return Config(
        stage=args.stage,
        domain=args.domain,
        certificate_arn=args.certificate_arn,
        sender=args.sender,
        mail_domain=args.mail_domain,
        hosted_zone_id=args.hosted_zone_id,
        drill_domain=args.drill_domain,
        region=args.region,
        report_address=args.report_address,
        alarm_email=args.alarm_email,
        site_dir=Path(args.site_dir).resolve(),
        dry_run=args.dry_run,
        restored_table=args.restored_table,
        waf=not args.no_waf,
        yes=args.yes,
        rotate_origin_secret=args.rotate_origin_secret,
        manage_ses_identities=not args.existing_ses_identities,
    )


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_args(argv)
    if config.dry_run and not (config.site_dir / "index.html").is_file():
        print(f"{config.site_dir} holds no built site: run `make site` first (the dry run lists its files)")
        return 1
    Deployer(config).deploy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
