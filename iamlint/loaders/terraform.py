"""Terraform configurations (`.tf`, `.tf.json`), one module directory at a time.

Parsed with tree-sitter-hcl (positions on every node, recovery from syntax
errors). All files of a directory are loaded together so references cross
files; its `.tfvars` and the `--var-file`s set a root module's variables
(tf_vars), and local modules (`source = "./..."`) are analysed with the arguments their
caller passes. Expressions are evaluated as far as they resolve
(tf_eval); the rest stays Unknown. Nothing outside the scanned tree is
read: `file()` / `templatefile()` / module sources that leave it give an
Unknown that says so.

Each file gets a Document: the policies, identities, keys and password
policies whose block is written in it (for a local module called from
here, the document of the `module` block), its suppression comments
(`# iamlint: ignore[IAM102] reason`), and its syntax errors (IAM000, with
the line of the first ERROR or MISSING node; the blocks without errors are
still analysed). See tf_extract for addresses and owners.
"""

from __future__ import annotations

from collections.abc import Sequence

from iamlint.loaders import Source
from iamlint.model import Document

FORMAT = "terraform"
EXTENSIONS = (".tf", ".tf.json")
PRIORITY = 30
GROUPED = True


def sniff(name: str, data: bytes) -> bool:
    """Every .tf and .tf.json file is Terraform."""
    return True


def load(sources: Sequence[Source]) -> list[Document]:
    from iamlint.loaders.tf_load import load_group

    return load_group(sources)
