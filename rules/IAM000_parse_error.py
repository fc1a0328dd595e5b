from __future__ import annotations

from collections.abc import Iterable

from iamlint.model import Document
from iamlint.rule import Context, Hit, Rule


class ParseError(Rule):
    """## What it does
    Reports a file that looks like infrastructure code or an IAM policy but
    could not be read: malformed JSON, invalid UTF-8, binary content, a file
    above the size limit, or an internal error while checking it.

    ## Why is this bad?
    A policy that iamlint cannot read is a policy nobody has checked. Peers
    that skip such files quietly give a false sense of safety; iamlint
    reports every one with its location and exits with code 2, after
    reporting the findings of every file it could read.

    ## Example
    ```json
    {
      "Version": "2012-10-17",
      "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject",
    }
    ```

    ## Use instead
    ```json
    {
      "Version": "2012-10-17",
      "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}
      ]
    }
    ```

    ## Known limitations
    This rule cannot be deselected: an unreadable input always makes the
    run exit with code 2.

    ## References
    - [IAM JSON policy grammar](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html)
    """

    id = "IAM000"
    name = "parse-error"
    severity = "high"
    tags = ("tool",)

    def check_document(self, document: Document, ctx: Context) -> Iterable[Hit]:
        for error in document.errors:
            yield Hit(error.span, error.message, element=error.message)
