"""iamlint: a static linter for AWS IAM policies written as infrastructure code."""

__version__ = "0.1.0"
