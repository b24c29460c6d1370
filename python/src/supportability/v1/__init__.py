"""Generated from proto/supportability/v1 by tools/generate.py. Do not edit."""
