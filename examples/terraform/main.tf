# The deploy role GitHub Actions assumes, and what it may do.

data "aws_caller_identity" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  repository = "acme/web"
}

resource "aws_iam_openid_connect_provider" "github" {
  url             = "https://token.actions.githubusercontent.com"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.github.arn]
    }
    # Checks the audience only: any repository on GitHub may assume the role.
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "deploy" {
  name                 = "web-deploy"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  permissions_boundary = "arn:aws:iam::${local.account_id}:policy/deploy-boundary"
}

resource "aws_iam_role_policy" "deploy" {
  role = aws_iam_role.deploy.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Site"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:DeleteObject"]
        Resource = "arn:aws:s3:::acme-web-site/*"
      },
      {
        Sid      = "Functions"
        Effect   = "Allow"
        Action   = ["lambda:UpdateFunctionCode", "iam:PassRole"]
        Resource = "*"
      },
    ]
  })
}
