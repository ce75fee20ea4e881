"""The field table of built-in kinds (`builtin_fields.json`) used to drop unknown fields, and its generator."""
