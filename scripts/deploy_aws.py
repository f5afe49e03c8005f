"""Deploy to AWS: build the site, `sam build`, `sam deploy`, upload the site to S3, invalidate CloudFront.

    scripts/deploy --stage prod --domain drill.example.jp \\
        --certificate-arn arn:aws:acm:us-east-1:123456789012:certificate/... \\
        --sender "事務局 <noreply@drill.example.jp>" --mail-domain drill.example.jp \\
        [--hosted-zone-id Z123...] [--drill-domain ...] [--report-address report@drill.example.jp]
        [--alarm-email ops@example.jp] [--region ap-northeast-1] [--dry-run]

Every option also reads `CAMPAIGN_DEPLOY_<OPTION>` (e.g. CAMPAIGN_DEPLOY_DOMAIN), so `make deploy`
can take them from the environment. `--dry-run` prints each step (commands, every S3 upload with
its content type and cache header, the invalidation) and calls nothing: no AWS, no build.

The functions' code is staged in `.cache/lambda-src/` (the three packages, `content/`, the built
`site/` the forms render their pages into); their dependencies are one layer built from the pinned
`.cache/lambda-deps/requirements.txt`, for which `sam build` fetches the arm64 wheels (a deploy that
changes no requirement uploads the small code packages only). boto3 is not packaged: the Lambda
Python runtime provides it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import mimetypes
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from campaign_core.settings import PROJECT_ROOT
from scripts.lambda_package import (
    LAMBDA_DEPS,
    LAMBDA_SRC,
    PACKAGES,
    lambda_requirements,
    precompile,
    stage_lambda_source,
)

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

SAM = PROJECT_ROOT / ".cache" / "sam-venv" / "bin" / "sam"
HTML_CACHE = "public, max-age=0, must-revalidate"  # always revalidated (ETag): a deploy shows at once
HASHED_CACHE = "public, max-age=31536000, immutable"  # the file name changes with the content
OTHER_CACHE = "public, max-age=3600"  # our own CSS/JS/images keep their names: one hour at most
_HASHED = re.compile(r"\.[0-9a-f]{8,}\.(min\.)?(js|css)(\.map)?$")
_NO_CACHE_SUFFIXES = (".html", ".xml", ".xml.gz", ".json", ".txt")
_TEXT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".ics": "text/calendar; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".webmanifest": "application/manifest+json",
    ".woff2": "font/woff2",
    ".gz": "application/gzip",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.DOTALL | re.IGNORECASE)
_SCRIPT_TYPE = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
_EXECUTABLE_TYPES = {"", "text/javascript", "application/javascript", "module"}


# --- What is uploaded, and how -------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    path: Path
    key: str
    content_type: str
    cache_control: str


def content_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in _TEXT_TYPES:
        return _TEXT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def cache_control(key: str) -> str:
    if _HASHED.search(key):
        return HASHED_CACHE
    if key.endswith(_NO_CACHE_SUFFIXES):
        return HTML_CACHE
    return OTHER_CACHE


def site_uploads(site_dir: Path) -> list[Upload]:
    return [
        Upload(path, key, content_type(key), cache_control(key))
        for path in sorted(site_dir.rglob("*"))
        if path.is_file()
        for key in [path.relative_to(site_dir).as_posix()]
    ]


def inline_scripts(html: str) -> Iterator[str]:
    """The bodies of a page's inline scripts that a browser would run (JSON data blocks are not)."""
    for match in _SCRIPT.finditer(html):
        attrs = match.group("attrs")
        if re.search(r"\bsrc\s*=", attrs, re.IGNORECASE):
            continue
        kind = _SCRIPT_TYPE.search(attrs)
        if (kind.group(1).lower() if kind else "") in _EXECUTABLE_TYPES:
            yield match.group("body")


def script_hash(body: str) -> str:
    digest = hashlib.sha256(body.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def inline_script_hashes(site_dir: Path) -> list[str]:
    """CSP source expressions for every distinct inline script of the built pages (sorted)."""
    return sorted(
        {
            script_hash(body)
            for page in site_dir.rglob("*.html")
            for body in inline_scripts(page.read_text("utf-8"))
        }
    )


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

    @property
    def stack(self) -> str:
        return f"security-drill-{self.stage}"


def sam_deploy_command(config: Config, hashes: Sequence[str]) -> list[str]:
    overrides = {
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
    }
    return [
        str(SAM), "deploy",
        "--template-file", str(PROJECT_ROOT / ".aws-sam" / "build" / "template.yaml"),
        "--stack-name", config.stack,
        "--region", config.region,
        "--resolve-s3",
        "--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND",
        "--no-confirm-changeset",
        "--no-fail-on-empty-changeset",
        "--parameter-overrides",
        *(f"{name}={value}" for name, value in overrides.items()),
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

    def deploy(self) -> None:
        c = self.config
        python = sys.executable
        self.step("1. Build the site (mkdocs, strict)")
        self.run(
            [python, "-m", "mkdocs", "build", "--strict", "--site-dir", str(c.site_dir)],
            # The manual names the report address (theme/hooks/site_build/report_address.py).
            env={
                **os.environ,
                "NO_MKDOCS_2_WARNING": "1",
                **({"CAMPAIGN_REPORT_ADDRESS": c.report_address} if c.report_address else {}),
            },
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
        self.step("3. sam build (arm64 wheels for python3.11)")
        if not SAM.exists() and not c.dry_run:
            raise SystemExit("the SAM CLI is missing: run scripts/install-sam.sh")
        self.run([str(SAM), "build", "--template-file", str(PROJECT_ROOT / "template.yaml")])
        build_dir = PROJECT_ROOT / ".aws-sam" / "build"
        self.out(f"   precompile bytecode in {build_dir.relative_to(PROJECT_ROOT)}/*/ (unchecked-hash .pyc)")
        if not c.dry_run:
            if sys.version_info[:2] != (3, 11):
                raise SystemExit("deploy with Python 3.11: the functions run python3.11")
            for function_dir in sorted(p for p in build_dir.iterdir() if p.is_dir()):
                precompile(function_dir)
        self.step(f"4. sam deploy (stack {c.stack} in {c.region})")
        hashes = inline_script_hashes(c.site_dir)
        self.out(f"   CSP script hashes of the built site: {len(hashes)}")
        self.run(sam_deploy_command(c, hashes))
        outputs = self.stack_outputs()
        bucket, distribution = outputs["SiteBucketName"], outputs["DistributionId"]
        self.step(f"5. Upload the site to s3://{bucket}/")
        self.upload_site(bucket)
        if c.report_address:
            rule_set = outputs.get("ReceiptRuleSetName", f"security-drill-{c.stage}")
            self.out(f"   SES receiving for {c.report_address}: set-active-receipt-rule-set {rule_set}")
            if not c.dry_run:
                import boto3

                boto3.client("ses", region_name=c.region).set_active_receipt_rule_set(RuleSetName=rule_set)
        self.step(f"6. Invalidate CloudFront distribution {distribution}")
        self.out(f"   create-invalidation --distribution-id {distribution} --paths '/*'")
        if not c.dry_run:
            self.invalidate(distribution)
        self.out(f"Done: https://{c.domain}/")

    def stack_outputs(self) -> dict[str, str]:
        if self.config.dry_run:
            return {
                "SiteBucketName": f"<SiteBucketName of {self.config.stack}>",
                "DistributionId": f"<DistributionId of {self.config.stack}>",
            }
        import boto3

        cfn = boto3.client("cloudformation", region_name=self.config.region)
        stack = cfn.describe_stacks(StackName=self.config.stack)["Stacks"][0]
        return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", []) if "OutputKey" in o}

    def upload_site(self, bucket: str, client: S3Client | None = None) -> list[Upload]:
        uploads = site_uploads(self.config.site_dir)
        s3 = client
        if s3 is None and not self.config.dry_run:
            import boto3

            s3 = boto3.client("s3", region_name=self.config.region)
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

        import boto3

        cloudfront = boto3.client("cloudfront")
        return cloudfront.create_invalidation(
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
