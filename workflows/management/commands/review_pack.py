"""`manage.py review_pack PACK.json` (or `-` for standard input): run the automated review over a
review pack and print its result as JSON; a malformed pack exits with status 2."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser

from iwms.errors import CATALOGUE
from workflows.review import PackError, review
from workflows.review.llm import LLMReviewer

PACK_INVALID = CATALOGUE["review.pack_invalid"].code
EXIT_PACK_INVALID = 2


class Command(BaseCommand):
    help = "Review a pack (docs/review-pack.md) and print verdict, findings, engine, version and digest as JSON."
    requires_system_checks: list[str] = []  # a pure computation: nothing to check, no database

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("pack", help="path of the pack's JSON file, or - to read standard input")
        parser.add_argument(
            "--llm", action="store_true", help="also ask the model set by IWMS_REVIEW_LLM_URL (it may only add)"
        )

    def handle(self, *args: object, pack: str, llm: bool = False, **options: object) -> None:
        try:
            text = sys.stdin.read() if pack == "-" else Path(pack).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read the pack {pack!r}: {error}") from error
        try:
            raw = json.loads(text)
        except ValueError as error:
            self.refuse(f"pack: not valid JSON ({error})")
        try:
            result = review(raw, llm=LLMReviewer.from_settings() if llm else None)
        except PackError as error:
            self.refuse(str(error))
        if result.llm_error:
            self.stderr.write(f"model not used, rules alone decided: {result.llm_error}")
        self.stdout.write(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))

    def refuse(self, message: str) -> NoReturn:
        self.stderr.write(json.dumps({"error": {"code": PACK_INVALID, "message": message}}, ensure_ascii=False))
        raise SystemExit(EXIT_PACK_INVALID)
