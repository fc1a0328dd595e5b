"""Loading one Terraform module directory into Documents (see terraform.py)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath

from iamlint.loaders import LoadError, Source, error_document
from iamlint.loaders.credentials import find_credentials
from iamlint.loaders.jsonpos import JSONPosError
from iamlint.loaders.jsonpos import parse as parse_json
from iamlint.loaders.tf_eval import MAX_DEPTH, Instance, Run, build_module
from iamlint.loaders.tf_extract import Bucket, Extractor
from iamlint.loaders.tf_vars import read_values
from iamlint.loaders.tf_world import (
    PFile,
    WorldLocator,
    parse,
    suppressions,
    syntax_errors,
    world,
)
from iamlint.model import CredentialLiteral, Document, ParseError, Span, Suppression

FORMAT = "terraform"


def _display_base(source: Source) -> Path | None:
    """The directory display paths are relative to, read off a relative
    display path (`modules/iam/main.tf`); None when it is absolute."""
    display = PurePosixPath(source.display)
    path = Path(os.path.abspath(source.path))
    if not display.is_absolute() and ".." not in display.parts:
        depth = len(display.parts)
        if 0 < depth <= len(path.parts):
            return path.parents[depth - 1]
    return None


def scan_root(source: Source) -> tuple[Path, bool]:
    """The scanned tree a source belongs to, and whether it is known.

    The scan says so (Source.root); failing that, the directory its display
    path is relative to. Otherwise only the module's own directory is
    trusted.
    """
    if source.root is not None:
        return Path(os.path.abspath(source.root)), True
    base = _display_base(source)
    if base is not None:
        return base, True
    return Path(os.path.abspath(source.path)).parent, False


def load_group(sources: Sequence[Source]) -> list[Document]:
    if not sources:
        return []
    w = world()
    loc = WorldLocator(w)
    root, _ = scan_root(sources[0])
    base = _display_base(sources[0])

    def display(path: Path) -> str:
        if base is not None:
            try:
                return path.relative_to(base).as_posix()
            except ValueError:
                pass
        return path.as_posix()

    run = Run(w, root, display)
    documents: dict[str, Document] = {}
    files: list[PFile] = []
    extra: dict[str, tuple[list[ParseError], list[Suppression], list[CredentialLiteral]]] = {}
    for source in sources:
        path = Path(os.path.abspath(source.path))
        try:
            from iamlint.loaders.text import decode

            text = decode(source.data)
        except LoadError as exc:
            # Offsets count from after a BOM, which register drops too.
            raw = source.data.decode("utf-8", errors="replace").removeprefix("\ufeff")
            tmp = w.register(path, source.display, source.data, raw)
            offset = exc.offset or 0
            documents[source.display] = error_document(
                source.display, FORMAT, exc.message, tmp.span(offset, offset)
            )
            continue
        pf = w.register(path, source.display, source.data, text)
        errors: list[ParseError] = []
        sups: list[Suppression] = []
        if path.name.lower().endswith(".json"):
            try:
                parse_json(text)
            except JSONPosError as exc:
                errors.append(
                    ParseError(f"invalid JSON: {exc.message}", pf.span(exc.offset, exc.offset))
                )
                documents[source.display] = Document(source.display, FORMAT, errors=tuple(errors))
                continue
        else:
            tree = parse(pf)
            errors.extend(syntax_errors(pf, tree))
            sups = suppressions(pf, tree)
        creds = list(find_credentials(pf.text, pf))
        extra[source.display] = (errors, sups, creds)
        files.append(pf)

    buckets: dict[str, Bucket] = {}
    vars_errors: dict[str, list[ParseError]] = {}
    if files:
        directory = files[0].path.parent
        module = build_module(w, directory, files)
        run.modules[Path(os.path.normpath(directory))] = module
        for error in read_values(run, module, sources[0].var_files):
            # A .tfvars file is not a scanned file: its errors get a
            # document of their own, so they are reported (IAM000).
            vars_errors.setdefault(error.span.path, []).append(error)
        instance = Instance(run, module)
        try:
            Extractor(loc, buckets).run(instance)
        except RecursionError:
            first = files[0]
            buckets.setdefault(first.display, Bucket()).errors.append(
                ParseError("nesting too deep to read", Span(first.display, 1, 1, 1, 1))
            )

    for shown, (_, offset) in run.too_deep.items():
        if shown in extra:
            # Reported like the JSON and YAML loaders do, not silently unknown.
            message = f"nesting deeper than {MAX_DEPTH} levels: not read"
            extra[shown][0].append(ParseError(message, loc.span(offset, offset)))

    for pf in files:
        errors, sups, creds = extra[pf.display]
        bucket = buckets.pop(pf.display, Bucket())
        documents[pf.display] = _document(pf.display, bucket, loc, errors, sups, creds)
    # Constructs of a called module land in the caller's file, which is one
    # of ours; anything else (should not happen) gets a document of its own.
    for other, rest in buckets.items():
        documents[other] = _document(other, rest, loc, [], [], [])
    for shown, errs in vars_errors.items():
        documents.setdefault(shown, Document(shown, FORMAT, errors=tuple(errs)))
    out = list(documents.values())
    if run.inputs and out:
        # On one document: the scan takes the union over the unit's.
        read = tuple(sorted((path, *rest) for path, rest in run.inputs.items()))
        out[0] = replace(out[0], inputs=read)
    return out


def _document(
    path: str,
    bucket: Bucket,
    loc: WorldLocator,
    errors: list[ParseError],
    sups: list[Suppression],
    creds: list[CredentialLiteral],
) -> Document:
    return Document(
        path,
        FORMAT,
        policies=tuple(bucket.policies),
        identities=tuple(i.build(loc) for i in bucket.identities),
        access_keys=tuple(bucket.access_keys),
        credentials=tuple(creds),
        password_policies=tuple(bucket.password_policies),
        suppressions=tuple(sups),
        errors=tuple(errors) + tuple(bucket.errors),
    )
