"""The rule catalogue: one module per rule, installed as `iamlint.rules`.

A module named `IAM106_passrole_to_any_role.py` defines one Rule subclass;
the engine finds it by discovery. Ids and names are a public contract.
"""
